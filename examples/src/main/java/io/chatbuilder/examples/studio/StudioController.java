package io.chatbuilder.examples.studio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.access.AppAction;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.sandbox.SandboxPaths;
import io.chatbuilder.spring.autoconfigure.PrincipalResolver;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.Optional;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * What the studio serves besides the starter's API: its setup and templates, a checkpoint's file
 * for the code view, and the UI. The JSON endpoints are under the API's base path, so the
 * starter's {@code HttpGuard} (Host, Origin, JSON, token) filters them and its error mapping
 * answers their failures; the file endpoint asks the same {@link AppAccessPolicy} as the API.
 */
@RestController
final class StudioController {
  /** Larger files are refused by the code view with 413. */
  static final int MAX_FILE_VIEW_BYTES = 2 << 20;

  /**
   * What the UI shows about the studio's setup.
   *
   * @param isolated false where the host opted into running app code unisolated: the UI then shows a warning
   */
  record Info(String model, boolean demo, String draftMode, boolean isolated) {}

  private final ChatBuilder builder;
  private final AppAccessPolicy policy;
  private final PrincipalResolver principals;
  private final Info info;
  private final JsonCodec codec = new JsonCodec();

  StudioController(ChatBuilder builder, AppAccessPolicy policy, PrincipalResolver principals, Info info) {
    this.builder = builder;
    this.policy = policy;
    this.principals = principals;
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

  @GetMapping("/admin/templates")
  ResponseEntity<String> templates() {
    ArrayNode templates = codec.arrayNode();
    builder.templates().values().stream().sorted(Comparator.comparing(AppTemplate::id))
        .forEach(t -> templates.addObject().put("id", t.id()).put("description", t.description()));
    return json(codec.objectNode().set("templates", templates));
  }

  /**
   * One file of a checkpoint for the code view: its text, or {@code binary: true} (no content) when
   * it is not UTF-8 text. The path goes through the sandbox's path rules (a hostile one is refused,
   * never read); files over {@link #MAX_FILE_VIEW_BYTES} are refused with 413.
   */
  @GetMapping("/admin/apps/{appId}/builder/checkpoints/{checkpointId}/file")
  ResponseEntity<String> file(HttpServletRequest request, @PathVariable String appId, @PathVariable String checkpointId,
      @RequestParam(name = "path", required = false) String path) {
    policy.check(principals.resolve(request), appId, AppAction.READ);
    if (builder.head(appId).isEmpty()) {
      throw new NotFoundException("no app '" + appId + "'; create it first with POST /admin/apps");
    }
    if (path == null || path.isBlank()) {
      throw new InvalidArgumentException("missing query parameter 'path'");
    }
    byte[] bytes = builder.readFile(appId, checkpointId, path)
        .orElseThrow(() -> new NotFoundException("checkpoint " + checkpointId + " has no file '" + path + "'"));
    if (bytes.length > MAX_FILE_VIEW_BYTES) {
      throw new TooLargeException("file '" + path + "' has " + bytes.length + " bytes; the code view shows files up to "
          + MAX_FILE_VIEW_BYTES + " bytes");
    }
    ObjectNode o = codec.objectNode().put("checkpoint_id", checkpointId).put("path", SandboxPaths.normalize(path))
        .put("size", bytes.length);
    Optional<String> text = utf8Text(bytes);
    o.put("binary", text.isEmpty());
    text.ifPresent(t -> o.put("content", t));
    return json(o);
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

  /** The bytes as text when they are valid UTF-8 without NUL characters; empty for binary files. */
  private static Optional<String> utf8Text(byte[] bytes) {
    try {
      String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
      return text.indexOf('\0') >= 0 ? Optional.empty() : Optional.of(text);
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  private ResponseEntity<String> json(JsonNode body) {
    return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).header("Cache-Control", "no-store")
        .body(codec.write(body));
  }
}
