//! Every type, field, argument, input field and enum value of the schema has a description, so a front-end
//! developer learns what it is from GraphiQL or the SDL alone. Introspection reads only the schema's registry: no
//! server, no database.

use serde_json::Value;

const INTROSPECTION_QUERY: &str = r#"
{
  __schema {
    types {
      name
      description
      fields(includeDeprecated: true) { name description args { name description } }
      inputFields { name description }
      enumValues(includeDeprecated: true) { name description }
    }
  }
}"#;

/// GraphQL's own scalars: the specification describes them.
const BUILT_IN_SCALARS: &[&str] = &["String", "Int", "Float", "Boolean", "ID"];

/// Elements that cannot carry a description, each with the reason. Empty: every element the API defines can.
const EXCEPTIONS: &[&str] = &[];

fn blank(description: &Value) -> bool {
    description.as_str().is_none_or(|text| text.trim().is_empty())
}

fn list(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn name(value: &Value) -> &str {
    value["name"].as_str().unwrap_or("?")
}

/// `Type`, `Type.field`, `Type.field(argument)`, `Input.field` and `Enum.VALUE` of every element without a
/// description.
fn undocumented(schema: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    for ty in list(&schema["types"]) {
        let type_name = name(ty);
        if type_name.starts_with("__") || BUILT_IN_SCALARS.contains(&type_name) {
            continue;
        }
        let mut check = |element: String, description: &Value| {
            if blank(description) && !EXCEPTIONS.contains(&element.as_str()) {
                missing.push(element);
            }
        };
        check(type_name.to_owned(), &ty["description"]);
        for field in list(&ty["fields"]) {
            check(format!("{type_name}.{}", name(field)), &field["description"]);
            for arg in list(&field["args"]) {
                check(format!("{type_name}.{}({})", name(field), name(arg)), &arg["description"]);
            }
        }
        for field in list(&ty["inputFields"]) {
            check(format!("{type_name}.{}", name(field)), &field["description"]);
        }
        for value in list(&ty["enumValues"]) {
            check(format!("{type_name}.{}", name(value)), &value["description"]);
        }
    }
    missing
}

#[tokio::test]
async fn every_schema_element_has_a_description() {
    let schema = omnisync::graphql::build_schema(None);
    let response = schema.execute(async_graphql::Request::new(INTROSPECTION_QUERY)).await;
    assert!(response.errors.is_empty(), "introspection failed: {:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let types = list(&data["__schema"]["types"]);
    assert!(types.iter().any(|t| name(t) == "Product"), "introspection returned no schema: {data}");
    let missing = undocumented(&data["__schema"]);
    assert!(
        missing.is_empty(),
        "{} schema elements have no description (add `///` doc comments, or `#[graphql(desc = \"…\")]` on \
         arguments):\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn the_walk_reports_every_kind_of_element() {
    let schema = serde_json::json!({ "types": [
        { "name": "Thing", "description": null, "fields": [
            { "name": "size", "description": " ", "args": [{ "name": "unit", "description": null }] },
        ], "inputFields": null, "enumValues": null },
        { "name": "ThingInput", "description": "x", "fields": null,
          "inputFields": [{ "name": "size", "description": "" }], "enumValues": null },
        { "name": "Shade", "description": "x", "fields": null, "inputFields": null,
          "enumValues": [{ "name": "DARK", "description": null }, { "name": "LIGHT", "description": "Light." }] },
        { "name": "String", "description": null },
        { "name": "__Type", "description": null },
    ]});
    assert_eq!(undocumented(&schema), ["Thing", "Thing.size", "Thing.size(unit)", "ThingInput.size", "Shade.DARK"]);
}
