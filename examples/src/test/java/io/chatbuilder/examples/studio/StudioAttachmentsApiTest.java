package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.model.Attachment;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.testing.ScriptedModel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The studio's chat endpoint with attachments (issue 16) and the code view's file endpoint, over real
 * HTTP: attachments go through core's one JSON mapping into the model's request; bad ones (unknown
 * type, hostile path, an image whose bytes are not its type, too many or too large images, a body
 * over the limit) are refused with a clear error before any run starts; a checkpoint's file is read
 * as text or reported binary, hostile paths refused.
 */
class StudioAttachmentsApiTest {
  @TempDir Path data;
  private Studio studio;
  private HttpTestClient client;
  private ScriptedModel model;

  @BeforeEach
  void start() {
    model = ScriptedModel.builder().name("recorder").turn(t -> t.text("Looked at it.")).build();
    studio = Studio.builder(data).port(0).model(model).start();
    client = new HttpTestClient(studio.url());
    HttpTestClient.Reply created = client.call("POST", "/admin/apps", "{\"app_id\":\"shop\"}");
    assertThat(created.status()).as(created.text()).isEqualTo(201);
  }

  @AfterEach
  void stop() {
    if (studio != null) {
      studio.close();
    }
  }

  static String png() throws Exception {
    BufferedImage image = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
    image.setRGB(1, 1, 0xff0000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  private static ObjectNode body(String message) {
    return HttpTestClient.JSON.createObjectNode().put("message", message);
  }

  private List<HttpTestClient.Frame> chat(JsonNode body) {
    try (HttpTestClient.EventStream stream = client.stream("POST", "/admin/apps/shop/builder/chat/stream", body.toString(), Map.of())) {
      assertThat(stream.response.code()).isEqualTo(200);
      return stream.rest();
    }
  }

  @Test
  void attachmentsOfTheChatBodyReachTheModelsRequest() throws Exception {
    String png = png();
    ObjectNode body = body("make this button bigger");
    ArrayNode attachments = body.putArray("attachments");
    attachments.addObject().put("type", "element").put("file", "index.html").put("line", 9).put("column", 5)
        .put("tag", "button").put("text", "count is 0");
    attachments.addObject().put("type", "diagnostic").put("kind", "compile_error").put("message", "Unexpected token")
        .put("file", "src/main.js").put("line", 3).put("column", 9);
    attachments.addObject().put("type", "file").put("path", "index.html").put("start_line", 1).put("end_line", 2);
    attachments.addObject().put("type", "image").put("media_type", "image/png").put("name", "mockup.png").put("data", png);
    List<HttpTestClient.Frame> frames = chat(body);
    assertThat(frames.get(frames.size() - 1).event()).isEqualTo("run_completed");

    ModelRequest first = model.requests().get(0);
    ChatMessage.User user = (ChatMessage.User) first.messages().get(first.messages().size() - 1);
    assertThat(user.text()).isEqualTo("make this button bigger");
    assertThat(user.attachments()).hasSize(4);
    assertThat(user.textWithContext())
        .contains("Selected element <button> at index.html:9:5 with text \"count is 0\"")
        .contains("Preview error (compile_error) at src/main.js:3:9: Unexpected token")
        .contains("<!doctype html>"); // the referenced lines, read through the sandbox
    assertThat(user.images()).singleElement().satisfies(i -> {
      assertThat(i.mediaType()).isEqualTo("image/png");
      assertThat(i.data()).isEqualTo(png);
    });
  }

  @Test
  void badAttachmentsAreRefusedBeforeAnyRunStarts() throws Exception {
    String png = png();
    record Case(String what, int status, String code, String messagePart, JsonNode attachments) {}
    ArrayNode unknown = HttpTestClient.JSON.createArrayNode();
    unknown.addObject().put("type", "video").put("data", "AAAA");
    ArrayNode hostile = HttpTestClient.JSON.createArrayNode();
    hostile.addObject().put("type", "file").put("path", "../../etc/passwd");
    ArrayNode hostileElement = HttpTestClient.JSON.createArrayNode();
    hostileElement.addObject().put("type", "element").put("file", "/etc/passwd").put("line", 1).put("column", 1).put("tag", "a");
    ArrayNode wrongMagic = HttpTestClient.JSON.createArrayNode();
    wrongMagic.addObject().put("type", "image").put("media_type", "image/jpeg").put("data", png);
    ArrayNode svg = HttpTestClient.JSON.createArrayNode();
    svg.addObject().put("type", "image").put("media_type", "image/svg+xml")
        .put("data", Base64.getEncoder().encodeToString("<svg onload=alert(1)>".getBytes(StandardCharsets.UTF_8)));
    ArrayNode fiveImages = HttpTestClient.JSON.createArrayNode();
    for (int i = 0; i < 5; i++) {
      fiveImages.addObject().put("type", "image").put("media_type", "image/png").put("data", png);
    }
    byte[] big = new byte[Attachment.MAX_IMAGE_BYTES + 1];
    System.arraycopy(Base64.getDecoder().decode(png), 0, big, 0, 8);
    ArrayNode tooBig = HttpTestClient.JSON.createArrayNode();
    tooBig.addObject().put("type", "image").put("media_type", "image/png").put("data", Base64.getEncoder().encodeToString(big));
    ArrayNode badKind = HttpTestClient.JSON.createArrayNode();
    badKind.addObject().put("type", "diagnostic").put("kind", "compile").put("message", "x");
    List<Case> cases = List.of(
        new Case("unknown type", 400, "invalid_argument", "video", unknown),
        new Case("hostile file path", 400, "path_refused", "", hostile),
        new Case("absolute element path", 400, "path_refused", "", hostileElement),
        new Case("PNG bytes sent as JPEG", 400, "invalid_argument", "image/jpeg", wrongMagic),
        new Case("SVG", 400, "invalid_argument", "image/svg+xml", svg),
        new Case("five images", 413, "too_large", "images", fiveImages),
        new Case("an image over the limit", 413, "too_large", "larger than", tooBig),
        new Case("unknown diagnostic kind", 400, "invalid_argument", "compile_error", badKind),
        new Case("attachments not an array", 400, "invalid_argument", "", HttpTestClient.JSON.getNodeFactory().textNode("x")));
    for (Case c : cases) {
      ObjectNode body = body("look");
      body.set("attachments", c.attachments());
      HttpTestClient.Reply reply = client.call("POST", "/admin/apps/shop/builder/chat/stream", body.toString());
      assertThat(reply.status()).as(c.what() + ": " + reply.text()).isEqualTo(c.status());
      assertThat(reply.json().get("code").asText()).as(c.what()).isEqualTo(c.code());
      assertThat(reply.json().get("message").asText()).as(c.what()).contains(c.messagePart());
    }
    // A body larger than the chat endpoint takes (the other endpoints' limit plus the images' share).
    String huge = "{\"message\":\"" + "x".repeat(13 * 1024 * 1024) + "\"}";
    HttpTestClient.Reply tooLarge = client.call("POST", "/admin/apps/shop/builder/chat/stream", huge);
    assertThat(tooLarge.status()).isEqualTo(413);
    assertThat(tooLarge.json().get("code").asText()).isEqualTo("too_large");

    assertThat(model.requests()).as("no run reached the model").isEmpty();
    assertThat(studio.chatBuilder().runIds("shop", 10)).isEmpty();
    // The app still works: a good message goes through.
    List<HttpTestClient.Frame> frames = chat(body("hello"));
    assertThat(frames.get(frames.size() - 1).event()).isEqualTo("run_completed");
  }

  @Test
  void theCodeViewReadsOneFileOfACheckpointAsTextOrAsBinary() throws Exception {
    Path app = studio.dataDir().resolve("apps").resolve("shop");
    byte[] logo = Base64.getDecoder().decode(png());
    Files.write(app.resolve("logo.png"), logo);
    Files.writeString(app.resolve("evil.html"), "</script><img src=x onerror=alert(1)>\n");
    studio.chatBuilder().resync("shop"); // records the outside edit (then restores the head before it)
    String head = studio.chatBuilder().checkpoints("shop", 10).stream()
        .filter(c -> studio.chatBuilder().files("shop", c.id()).containsKey("evil.html")).findFirst().orElseThrow().id();
    String base = "/admin/apps/shop/builder/checkpoints/" + head + "/file?path=";

    HttpTestClient.Reply evil = client.call("GET", base + "evil.html");
    assertThat(evil.status()).as(evil.text()).isEqualTo(200);
    JsonNode text = evil.json();
    assertThat(text.get("path").asText()).isEqualTo("evil.html");
    assertThat(text.get("binary").asBoolean()).isFalse();
    assertThat(text.get("content").asText()).isEqualTo("</script><img src=x onerror=alert(1)>\n");
    HttpTestClient.Reply reply = client.call("GET", base + "evil.html");
    assertThat(reply.contentType()).startsWith("application/json");
    assertThat(reply.headers().get("X-Content-Type-Options")).isEqualTo("nosniff");

    JsonNode binary = client.call("GET", base + "logo.png").json();
    assertThat(binary.get("binary").asBoolean()).isTrue();
    assertThat(binary.has("content")).isFalse();
    assertThat(binary.get("size").asLong()).isEqualTo(logo.length);

    HttpTestClient.Reply nested = client.call("GET", base + "src%2Fmain.js");
    assertThat(nested.status()).as(nested.text()).isEqualTo(200);
    assertThat(nested.json().get("content").asText()).isEqualTo("// The app's entry point.\n");
    HttpTestClient.Reply hostile = client.call("GET", base + "..%2F..%2Fetc%2Fpasswd");
    assertThat(hostile.status()).isEqualTo(400);
    assertThat(hostile.json().get("code").asText()).isEqualTo("path_refused");
    assertThat(client.call("GET", base + "%2Fetc%2Fpasswd").status()).isEqualTo(400);
    assertThat(client.call("GET", base + "missing.js").status()).isEqualTo(404);
    assertThat(client.call("GET", "/admin/apps/shop/builder/checkpoints/" + head + "/file").status()).isEqualTo(400);
    assertThat(client.call("GET", "/admin/apps/shop/builder/checkpoints/nope/file?path=index.html").status()).isEqualTo(404);
    assertThat(client.call("POST", base + "index.html", "{}").status()).isEqualTo(405);
  }
}
