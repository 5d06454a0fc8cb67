package io.chatbuilder.examples.studio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.json.JsonCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * What the studio serves besides the starter's API (templates and the code view's file are the
 * starter's): its setup and the UI. {@code /admin/studio} is under the API's base path, so the
 * starter's {@code HttpGuard} (Host, Origin, JSON, token) filters it and its error mapping answers
 * its failures.
 */
@RestController
final class StudioController {
  /**
   * What the UI shows about the studio's setup.
   *
   * @param isolated false where the host opted into running app code unisolated: the UI then shows a warning
   */
  record Info(String model, boolean demo, String draftMode, boolean isolated) {}

  private final Info info;
  private final JsonCodec codec = new JsonCodec();

  StudioController(Info info) {
    this.info = info;
  }

  @GetMapping("/admin/studio")
  ResponseEntity<String> studio() {
    ObjectNode body = codec.objectNode().put("model", info.model()).put("demo", info.demo())
        .put("draft_mode", info.draftMode()).put("isolated", info.isolated());
    if (!info.isolated()) {
      body.put("isolation_warning", "sandboxes are not isolated: app code (npm, dev servers, builds, commands) "
          + "runs as plain processes of this machine, with its files, environment and network");
    }
    return json(body);
  }

  @GetMapping({"/", "/index.html"})
  ResponseEntity<byte[]> index() {
    return resource("index.html");
  }

  @GetMapping("/ui/{*name}")
  ResponseEntity<byte[]> ui(@PathVariable String name) {
    return resource(name.startsWith("/") ? name.substring(1) : name);
  }

  /** A UI file from the class path; a name that could leave the UI's directory is not found. */
  private ResponseEntity<byte[]> resource(String name) {
    if (name.isEmpty() || name.contains("..") || name.startsWith("/") || name.contains("\\") || name.contains("%")) {
      return notFound(name);
    }
    try (InputStream in = StudioController.class.getResourceAsStream("ui/" + name)) {
      if (in == null) {
        return notFound(name);
      }
      return ResponseEntity.ok().header("Content-Type", StaticFiles.contentType(name))
          .header("X-Content-Type-Options", "nosniff").header("X-Frame-Options", "DENY")
          .header("Referrer-Policy", "no-referrer").header("Cache-Control", "no-cache").body(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ResponseEntity<byte[]> notFound(String name) {
    return ResponseEntity.status(404).contentType(MediaType.TEXT_PLAIN).header("X-Content-Type-Options", "nosniff")
        .body(("no such UI file: " + name).getBytes(StandardCharsets.UTF_8));
  }

  private ResponseEntity<String> json(JsonNode body) {
    return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).header("Cache-Control", "no-store")
        .body(codec.write(body));
  }
}
