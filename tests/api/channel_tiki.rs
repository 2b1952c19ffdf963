//! tiki connector against its simulator, over real HTTP.
