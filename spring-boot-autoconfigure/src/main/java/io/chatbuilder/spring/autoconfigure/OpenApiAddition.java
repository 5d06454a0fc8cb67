package io.chatbuilder.spring.autoconfigure;

import java.util.Objects;

/**
 * A host's own endpoints under the API's base path, documented in the served {@code openapi.json}:
 * an OpenAPI 3.1 fragment with {@code paths} (relative to the base path) and
 * {@code components.schemas}, merged into the document beside the API's own. Define beans of this
 * type to add them; a path or schema name the document already has is refused at start, so an
 * addition can never redefine the API's contracts.
 *
 * @param name what the fragment documents, for errors (e.g. {@code "studio"})
 * @param json the fragment, e.g. {@code {"paths": {"/studio": …}, "components": {"schemas": {…}}}}
 */
public record OpenApiAddition(String name, String json) {
  public OpenApiAddition {
    Objects.requireNonNull(name, "name == null");
    Objects.requireNonNull(json, "json == null");
  }
}
