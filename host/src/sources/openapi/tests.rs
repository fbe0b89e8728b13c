//! Whole documents, read and then called from their stored form; the
//! helpers are shared with the children's tests.
use super::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use url::Url;

const PETSTORE_30: &str = r##"
openapi: 3.0.3
info:
  title: Swagger Petstore
  version: 1.0
  description: A sample pet store.
servers:
  - url: https://petstore.example.com/api/v3/
paths:
  /pets:
    get:
      operationId: listPets
      summary: List all pets
      parameters:
        - $ref: '#/components/parameters/limit'
        - name: status
          in: query
          schema: {type: string, enum: [available, sold], nullable: true}
        - name: Accept
          in: header
          schema: {type: string}
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}
    post:
      operationId: createPet
      description: "  Add a pet to the store.  "
      security: []
      requestBody:
        $ref: '#/components/requestBodies/PetBody'
      responses:
        '201': {description: created}
  /pets/{petId}:
    parameters:
      - name: petId
        in: path
        required: true
        description: The pet's id.
        schema: {type: integer, format: int64, minimum: 1, exclusiveMinimum: true}
    get:
      summary: Info for a pet
      parameters:
        - name: petId
          in: query
          schema: {type: string}
        - name: X-Trace
          in: header
          schema: {type: string}
      responses:
        default: {description: error}
    delete:
      operationId: deletePet
      parameters:
        - name: petId
          in: path
          required: true
          description: Overridden at the operation.
          schema: {type: string}
components:
  parameters:
    limit:
      name: limit
      in: query
      description: How many items to return at one time (max 100)
      required: false
      schema: {type: integer, maximum: 100, exclusiveMaximum: false}
  requestBodies:
    PetBody:
      required: true
      content:
        application/xml:
          schema: {$ref: '#/components/schemas/Pet'}
        application/json:
          schema: {$ref: '#/components/schemas/Pet'}
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        id: {type: integer, format: int64, readOnly: true}
        name: {type: string, example: doggie}
        tag: {type: string, nullable: true}
        owner: {$ref: '#/components/schemas/Person'}
    Person:
      type: object
      properties:
        name: {type: string}
        pets:
          type: array
          items: {$ref: '#/components/schemas/Pet'}
  securitySchemes:
    api_key:
      type: apiKey
      name: X-API-Key
      in: header
security:
  - api_key: []
"##;

const NOTES_31: &str = r##"{
  "openapi": "3.1.0",
  "info": {"title": "Notes", "version": "2.1.0", "summary": "Notes API"},
  "servers": [{"url": "/{base}/v{major}/", "variables": {
      "base": {"default": "api"}, "major": {"default": "2", "enum": ["1", "2"]}}}],
  "paths": {
    "/notes/{id}": {
      "patch": {
        "operationId": "update note!",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "requestBody": {"description": "The fields to change.", "content": {"application/merge-patch+json": {"schema": {
          "type": "object",
          "properties": {"title": {"type": ["string", "null"]}, "pinned": {"type": "boolean"}}}}}}
      }
    },
    "/notes": {
      "get": {"description": "List notes.", "parameters": [
        {"name": "tag", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}]}
    }
  },
  "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
  "security": [{"token": []}]
}"##;

pub(super) fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

pub(super) fn doc_url() -> Url {
    url("https://docs.example.com/specs/openapi.yaml")
}

pub(super) fn op<'a>(spec: &'a ApiSpec, name: &str) -> &'a Operation {
    spec.operations
        .iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

pub(super) fn input(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

pub(super) fn minimal(servers: Value) -> Vec<u8> {
    json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "servers": servers, "paths": {"/a": {"get": {}}}})
            .to_string()
            .into_bytes()
}

#[test]
fn a_30_yaml_petstore_is_lifted_and_resolved() {
    let spec = parse(PETSTORE_30.as_bytes(), &doc_url()).unwrap();
    assert_eq!(spec.title, "Swagger Petstore");
    assert_eq!(spec.version, "1.0");
    assert_eq!(spec.description.as_deref(), Some("A sample pet store."));
    assert_eq!(
        spec.base_url.as_str(),
        "https://petstore.example.com/api/v3"
    );
    let names: Vec<_> = spec
        .operations
        .iter()
        .map(|o| (o.name.as_str(), o.method.as_str(), o.path.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("listPets", "GET", "/pets"),
            ("createPet", "POST", "/pets"),
            ("get_pets_petId", "GET", "/pets/{petId}"),
            ("deletePet", "DELETE", "/pets/{petId}"),
        ]
    );
    assert_eq!(
        spec.schemes["api_key"],
        Scheme::ApiKey {
            name: "X-API-Key".into(),
            location: Location::Header
        }
    );
    assert_eq!(spec.auth_type(), Some("api_key"));

    let list = op(&spec, "listPets");
    assert_eq!(list.description, "List all pets");
    assert_eq!(
        list.security,
        vec![BTreeMap::from([("api_key".to_owned(), vec![])])]
    );
    assert_eq!(
        list.input_schema,
        json!({
            "type": "object",
            "properties": {
                "limit": {"type": "integer", "maximum": 100,
                          "description": "How many items to return at one time (max 100)"},
                "status": {"type": ["string", "null"], "enum": ["available", "sold", null]}
            },
            "additionalProperties": false
        })
    );
    assert_eq!(list.parameters.len(), 2, "Accept is ignored");

    let create = op(&spec, "createPet");
    assert!(
        create.security.is_empty(),
        "`security: []` overrides the global one"
    );
    assert_eq!(create.description, "Add a pet to the store.");
    assert_eq!(
        create.body,
        Some(Body {
            content_type: "application/json".into(),
            required: true
        })
    );
    let body = &create.input_schema["properties"]["requestBody"];
    assert_eq!(create.input_schema["required"], json!(["requestBody"]));
    assert_eq!(body["required"], json!(["name"]));
    assert_eq!(body["properties"]["tag"]["type"], json!(["string", "null"]));
    let again = &body["properties"]["owner"]["properties"]["pets"]["items"];
    assert!(
        again["description"]
            .as_str()
            .unwrap()
            .starts_with("Recursive"),
        "{again}"
    );
    assert!(!create.input_schema.to_string().contains("$ref"));

    let get = op(&spec, "get_pets_petId");
    assert_eq!(get.description, "Info for a pet");
    let props: Vec<_> = get
        .parameters
        .iter()
        .map(|p| (p.property.as_str(), p.location, p.required))
        .collect();
    assert_eq!(
        props,
        [
            ("petId", Location::Path, true),
            ("petId_query", Location::Query, false),
            ("X-Trace", Location::Header, false)
        ]
    );
    assert_eq!(
        get.input_schema["properties"]["petId"],
        json!({"type": "integer", "format": "int64", "exclusiveMinimum": 1, "description": "The pet's id."})
    );
    let delete = op(&spec, "deletePet");
    assert_eq!(delete.description, "DELETE /pets/{petId}");
    assert_eq!(
        delete.input_schema["properties"]["petId"],
        json!({"type": "string", "description": "Overridden at the operation."})
    );

    // Calls, from the stored form.
    let stored: ApiSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
    assert_eq!(stored, spec);
    let call = |name: &str, value: Value, credential: Option<&str>| {
        build_request(
            &stored.base_url,
            op(&stored, name),
            &stored.schemes,
            &input(value),
            credential,
        )
    };
    let created = call("createPet", json!({"requestBody": {"name": "Rex"}}), None).unwrap();
    assert_eq!(
        created.url.as_str(),
        "https://petstore.example.com/api/v3/pets"
    );
    assert!(created.headers.is_empty());
    let err = call("listPets", json!({}), None).unwrap_err();
    assert_eq!(
        err,
        RequestError::CredentialRequired {
            schemes: vec!["api_key".into()]
        }
    );
    let listed = call("listPets", json!({"limit": 5, "status": null}), Some("k")).unwrap();
    assert_eq!(
        listed.url.as_str(),
        "https://petstore.example.com/api/v3/pets?limit=5"
    );
    assert_eq!(listed.headers[0].0.as_str(), "x-api-key");
    let got = call(
        "get_pets_petId",
        json!({"petId": 3, "petId_query": "x", "X-Trace": "t"}),
        Some("k"),
    )
    .unwrap();
    assert_eq!(
        got.url.as_str(),
        "https://petstore.example.com/api/v3/pets/3?petId=x"
    );
}

#[test]
fn a_31_json_document_with_bearer_auth_and_a_relative_server() {
    let spec = parse(
        NOTES_31.as_bytes(),
        &url("https://notes.example.com/specs/openapi.json"),
    )
    .unwrap();
    assert_eq!(spec.base_url.as_str(), "https://notes.example.com/api/v2");
    assert_eq!(spec.description.as_deref(), Some("Notes API"));
    assert_eq!(spec.auth_type(), Some("bearer"));
    let names: Vec<_> = spec.operations.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        ["update_note_", "get_notes"],
        "document order of paths"
    );
    let update = &spec.operations[0];
    assert_eq!(
        update.body,
        Some(Body {
            content_type: "application/merge-patch+json".into(),
            required: false
        })
    );
    assert_eq!(
        update.input_schema["properties"]["requestBody"],
        json!({"type": "object", "description": "The fields to change.",
                   "properties": {"title": {"type": ["string", "null"]}, "pinned": {"type": "boolean"}}})
    );
    assert_eq!(update.input_schema["required"], json!(["id"]));
    let prepared = build_request(
        &spec.base_url,
        update,
        &spec.schemes,
        &input(json!({"id": "n 1", "requestBody": {"title": null}})),
        Some("tok"),
    )
    .unwrap();
    assert_eq!(prepared.method, http::Method::PATCH);
    assert_eq!(
        prepared.url.as_str(),
        "https://notes.example.com/api/v2/notes/n%201"
    );
    assert_eq!(prepared.headers[0].1, "Bearer tok");
    assert_eq!(
        prepared.body.unwrap(),
        (
            "application/merge-patch+json".to_owned(),
            br#"{"title":null}"#.to_vec()
        )
    );
    let list = build_request(
        &spec.base_url,
        &spec.operations[1],
        &spec.schemes,
        &input(json!({"tag": ["a", "b"]})),
        Some("t"),
    )
    .unwrap();
    assert_eq!(
        list.url.as_str(),
        "https://notes.example.com/api/v2/notes?tag=a&tag=b"
    );
}
