package io.chatbuilder.spring.autoconfigure;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.access.AppAccessPolicy;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The API's contracts, for front ends and code generators: the OpenAPI 3.1 document of the HTTP
 * API ({@code openapi.json}, its server URL set to this server's base path, with the host's
 * {@link OpenApiAddition}s merged in) and the JSON Schema of
 * every event beside it ({@code events.schema.json}, which the document refers to). They describe
 * the API, not any app, so no {@link AppAccessPolicy} is asked; the {@link HttpGuard} still is.
 */
@RestController
@RequestMapping("${chatbuilder.http.base-path:/admin}")
final class ApiContractsController {
  static final String OPENAPI = "contracts/openapi.json";
  static final String EVENTS_SCHEMA = "contracts/events.schema.json";

  private final ApiJson json = new ApiJson();
  private final String basePath;
  private final String eventsSchema = resource(EVENTS_SCHEMA);
  private final ObjectNode openApi = (ObjectNode) json.codec().read(resource(OPENAPI));

  ApiContractsController(String basePath) {
    this(basePath, java.util.List.of());
  }

  /** @param additions the host's own endpoints, merged into the document (see {@link OpenApiAddition}) */
  ApiContractsController(String basePath, java.util.List<OpenApiAddition> additions) {
    this.basePath = basePath;
    for (OpenApiAddition addition : additions) {
      merge(addition);
    }
  }

  private void merge(OpenApiAddition addition) {
    com.fasterxml.jackson.databind.JsonNode fragment = json.codec().read(addition.json());
    ObjectNode paths = (ObjectNode) openApi.get("paths");
    ObjectNode schemas = (ObjectNode) openApi.get("components").get("schemas");
    fragment.path("paths").fields().forEachRemaining(e -> {
      if (paths.has(e.getKey())) {
        throw new IllegalStateException("OpenApiAddition '" + addition.name() + "' documents " + e.getKey()
            + ", which the API's openapi.json already has");
      }
    });
    fragment.path("components").path("schemas").fields().forEachRemaining(e -> {
      if (schemas.has(e.getKey())) {
        throw new IllegalStateException("OpenApiAddition '" + addition.name() + "' defines schema " + e.getKey()
            + ", which the API's openapi.json already has");
      }
    });
    fragment.path("paths").fields().forEachRemaining(e -> paths.set(e.getKey(), e.getValue()));
    fragment.path("components").path("schemas").fields().forEachRemaining(e -> schemas.set(e.getKey(), e.getValue()));
  }

  @GetMapping("/openapi.json")
  ResponseEntity<String> openApi(HttpServletRequest request) {
    ObjectNode doc = openApi.deepCopy();
    ArrayNode servers = doc.putArray("servers");
    servers.addObject().put("url", request.getContextPath() + basePath);
    return json(json.write(doc));
  }

  @GetMapping("/events.schema.json")
  ResponseEntity<String> eventsSchema() {
    return json(eventsSchema);
  }

  private static ResponseEntity<String> json(String body) {
    return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).header("Cache-Control", "no-cache").body(body);
  }

  static String resource(String name) {
    try (InputStream in = ApiContractsController.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
