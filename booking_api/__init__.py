"""The JSON API that feeds every screen: request handlers (one module per resource), the
presenters that turn the core's objects into JSON, request body schemas, the OpenAPI document,
and the request helpers (language, identity, error answers) the screens share with it."""
