//! `export_slip_lines.released_quantity` / `released_warehouse_id`: a slip made in another warehouse than its
//! order's releases the order's reservation there. Cancelling the slip must give exactly that back, so the create
//! records it per line (before, only the units moved inside the slip's own warehouse were recorded and a cancel
//! lost the other warehouse's reservation). Existing lines are filled from the ledger rows the create wrote.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(ExportSlipLines::Table)
                    .add_column(big_integer(ExportSlipLines::ReleasedQuantity).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ExportSlipLines::Table)
                    .add_column(big_integer_null(ExportSlipLines::ReleasedWarehouseId))
                    .to_owned(),
            )
            .await?;
        // The release of each slip (per variant) is on the first line of that variant in the slip: a cancel
        // restores the sum, which is what the ledger moved.
        let released = "FROM inventory_ledger l WHERE l.reason = 'ORDER_RELEASED' AND l.reference_type = 'EXPORT_SLIP' \
             AND l.reference_id = export_slip_lines.slip_id AND l.variant_id = export_slip_lines.variant_id";
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE export_slip_lines SET \
                 released_quantity = COALESCE((SELECT -SUM(l.committed_delta) {released}), 0), \
                 released_warehouse_id = (SELECT MIN(l.warehouse_id) {released}) \
                 WHERE id IN (SELECT MIN(id) FROM export_slip_lines GROUP BY slip_id, variant_id) \
                 AND EXISTS (SELECT 1 {released})"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [ExportSlipLines::ReleasedWarehouseId, ExportSlipLines::ReleasedQuantity] {
            manager.alter_table(Table::alter().table(ExportSlipLines::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ExportSlipLines {
    Table,
    ReleasedQuantity,
    ReleasedWarehouseId,
}
