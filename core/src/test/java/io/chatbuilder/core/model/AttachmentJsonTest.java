package io.chatbuilder.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.runtime.PreviewDiagnostic;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The one JSON mapping of chat input and attachments: the spec's shape, and every bad input refused clearly. */
class AttachmentJsonTest {
  private static final JsonCodec CODEC = new JsonCodec();
  /** A real 1x1 PNG. */
  static final byte[] PNG = Base64.getDecoder().decode(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==");
  static final String PNG_B64 = Base64.getEncoder().encodeToString(PNG);

  private static ChatInput parse(String json) {
    return CODEC.chatInputFromTree(CODEC.read(json));
  }

  @Test
  void readsTheAgreedWireShape() {
    ChatInput input = parse("""
        {"message": "make this button bigger",
         "attachments": [
           {"type": "element", "file": "src/App.tsx", "line": 12, "column": 7, "tag": "button", "text": "count is 0"},
           {"type": "file", "path": "src/App.tsx", "start_line": 10, "end_line": 20},
           {"type": "diagnostic", "kind": "compile_error", "message": "Unexpected token", "file": "src/App.tsx", "line": 3, "column": 9},
           {"type": "image", "media_type": "image/png", "name": "mockup.png", "data": "%s"}
         ]}""".formatted(PNG_B64));
    assertThat(input.message()).isEqualTo("make this button bigger");
    assertThat(input.attachments()).containsExactly(
        new Attachment.ElementSelection("src/App.tsx", 12, 7, "button", Optional.of("count is 0")),
        new Attachment.FileReference("src/App.tsx", OptionalInt.of(10), OptionalInt.of(20)),
        new Attachment.DiagnosticReport(PreviewDiagnostic.Kind.COMPILE_ERROR, "Unexpected token", Optional.of("src/App.tsx"),
            OptionalInt.of(3), OptionalInt.of(9)),
        new Attachment.Image("image/png", Optional.of("mockup.png"), PNG_B64));
    assertThat(((Attachment.Image) input.attachments().get(3)).bytes()).isEqualTo(PNG);
  }

  @Test
  void optionalFieldsMayBeLeftOutAndUnknownFieldsAreIgnored() {
    ChatInput input = parse("""
        {"message": "fix", "extra": 1, "attachments": [
           {"type": "element", "file": "./src//App.tsx", "line": 1, "column": 1, "tag": "my-widget", "future": true},
           {"type": "file", "path": "index.html"},
           {"type": "diagnostic", "kind": "uncaught_error", "message": "x is not defined"},
           {"type": "image", "media_type": "image/png", "data": "%s"}]}""".formatted(PNG_B64));
    assertThat(input.attachments()).containsExactly(
        new Attachment.ElementSelection("src/App.tsx", 1, 1, "my-widget", Optional.empty()),
        new Attachment.FileReference("index.html", OptionalInt.empty(), OptionalInt.empty()),
        new Attachment.DiagnosticReport(PreviewDiagnostic.Kind.UNCAUGHT_ERROR, "x is not defined", Optional.empty(),
            OptionalInt.empty(), OptionalInt.empty()),
        new Attachment.Image("image/png", Optional.empty(), PNG_B64));
    assertThat(parse("{\"message\":\"hi\"}").attachments()).isEmpty();
    assertThat(parse("{\"message\":\"hi\",\"attachments\":null}").attachments()).isEmpty();
  }

  @Test
  void everyDiagnosticKindUsesPreviewDiagnosticsWireName() {
    for (PreviewDiagnostic.Kind kind : PreviewDiagnostic.Kind.values()) {
      Attachment a = CODEC.attachmentFromTree(CODEC.read(
          "{\"type\":\"diagnostic\",\"kind\":\"" + kind.wireName() + "\",\"message\":\"m\"}"));
      assertThat(((Attachment.DiagnosticReport) a).kind()).isEqualTo(kind);
      assertThat(CODEC.attachmentToTree(a).get("kind").asText()).isEqualTo(kind.wireName());
    }
  }

  @Test
  void writesBackWhatItReads() {
    String json = """
        {"message":"m","attachments":[
        {"type":"element","file":"src/App.tsx","line":12,"column":7,"tag":"button","text":"count is 0"},
        {"type":"file","path":"src/App.tsx","start_line":10,"end_line":20,"content":"10\\tx\\n"},
        {"type":"diagnostic","kind":"console_error","message":"boom","file":"src/a.ts","line":3},
        {"type":"image","media_type":"image/png","name":"shot.png","data":"%s"}]}""".formatted(PNG_B64);
    JsonNode tree = CODEC.read(json);
    ChatInput input = CODEC.chatInputFromTree(tree);
    assertThat(CODEC.chatInputToTree(input)).isEqualTo(tree);
    // and as a stored user message
    ChatMessage.User user = new ChatMessage.User(input.message(), input.attachments());
    assertThat(CODEC.messageFromJson(CODEC.toJson(user))).isEqualTo(user);
  }

  @Test
  void aUserMessageStoredBeforeAttachmentsStillReadsAndIsWrittenAsBefore() {
    assertThat(CODEC.messageFromJson("{\"role\":\"user\",\"text\":\"Add a title\"}"))
        .isEqualTo(new ChatMessage.User("Add a title", List.of()));
    assertThat(CODEC.toJson(new ChatMessage.User("Add a title"))).isEqualTo("{\"role\":\"user\",\"text\":\"Add a title\"}");
  }

  @Test
  void unknownTypeIsRefusedNamingIt() {
    assertRefused("{\"message\":\"m\",\"attachments\":[{\"type\":\"video\",\"data\":\"x\"}]}", ErrorCode.INVALID_ARGUMENT,
        "attachments[0]: unknown attachment type 'video'");
    assertRefused("{\"message\":\"m\",\"attachments\":[{\"data\":\"x\"}]}", ErrorCode.INVALID_ARGUMENT,
        "attachments[0]: missing field 'type'");
    assertRefused("{\"message\":\"m\",\"attachments\":[{\"type\":7}]}", ErrorCode.INVALID_ARGUMENT,
        "field 'type' must be a string");
    assertRefused("{\"message\":\"m\",\"attachments\":[\"src/App.tsx\"]}", ErrorCode.INVALID_ARGUMENT,
        "attachments[0]: an attachment must be a JSON object");
    assertRefused("{\"message\":\"m\",\"attachments\":{\"type\":\"file\"}}", ErrorCode.INVALID_ARGUMENT,
        "'attachments' must be an array");
  }

  @Test
  void missingOrMistypedFieldsAreRefusedNamingThem() {
    assertRefused("{\"attachments\":[]}", ErrorCode.INVALID_ARGUMENT, "missing field 'message'");
    assertRefused("{\"message\":\"  \"}", ErrorCode.INVALID_ARGUMENT, "message is empty");
    assertRefused("{\"message\":5}", ErrorCode.INVALID_ARGUMENT, "'message' must be a string");
    assertRefused("[1]", ErrorCode.INVALID_ARGUMENT, "must be a JSON object");
    assertRefused(withAttachment("{\"type\":\"element\",\"line\":1,\"column\":1,\"tag\":\"a\"}"), ErrorCode.INVALID_ARGUMENT,
        "attachments[0]: missing field 'file'");
    assertRefused(withAttachment("{\"type\":\"element\",\"file\":\"a.ts\",\"line\":\"12\",\"column\":1,\"tag\":\"a\"}"),
        ErrorCode.INVALID_ARGUMENT, "field 'line' must be an integer");
    assertRefused(withAttachment("{\"type\":\"element\",\"file\":\"a.ts\",\"line\":0,\"column\":1,\"tag\":\"a\"}"),
        ErrorCode.INVALID_ARGUMENT, "line must be 1 or more");
    assertRefused(withAttachment("{\"type\":\"element\",\"file\":\"a.ts\",\"line\":1,\"column\":1,\"tag\":\"<script>\"}"),
        ErrorCode.INVALID_ARGUMENT, "element tag must be a tag name");
    assertRefused(withAttachment("{\"type\":\"element\",\"file\":\"a.ts\",\"line\":99999999999,\"column\":1,\"tag\":\"a\"}"),
        ErrorCode.INVALID_ARGUMENT, "field 'line' is out of range");
    assertRefused(withAttachment("{\"type\":\"file\",\"path\":\"a.ts\",\"start_line\":9,\"end_line\":3}"),
        ErrorCode.INVALID_ARGUMENT, "end_line 3 is before start_line 9");
    assertRefused(withAttachment("{\"type\":\"diagnostic\",\"kind\":\"compile\",\"message\":\"m\"}"), ErrorCode.INVALID_ARGUMENT,
        "unknown diagnostic kind 'compile'; use one of compile_error, uncaught_error, unhandled_rejection, console_error");
    assertRefused(withAttachment("{\"type\":\"diagnostic\",\"kind\":\"compile_error\"}"), ErrorCode.INVALID_ARGUMENT,
        "missing field 'message'");
    assertRefused(withAttachment("{\"type\":\"diagnostic\",\"kind\":\"compile_error\",\"message\":\"m\",\"line\":3}"),
        ErrorCode.INVALID_ARGUMENT, "diagnostic line given without a file");
    assertRefused(withAttachment("{\"type\":\"image\",\"media_type\":\"image/png\"}"), ErrorCode.INVALID_ARGUMENT,
        "missing field 'data'");
    assertRefused(withAttachment("{\"type\":\"image\",\"data\":\"" + PNG_B64 + "\"}"), ErrorCode.INVALID_ARGUMENT,
        "missing field 'media_type'");
  }

  @Test
  void hostilePathsAreRefusedByTheSandboxRules() {
    for (String path : List.of("../../etc/passwd", "/etc/passwd", "src/../../x", "a\u0000b", "src/\u202Efdp.ts", "CON",
        ".chatbuilder/intent", "%2e%2e/x", "C:\\\\Windows")) {
      String escaped = CODEC.write(com.fasterxml.jackson.databind.node.TextNode.valueOf(path));
      for (String attachment : List.of("{\"type\":\"file\",\"path\":" + escaped + "}",
          "{\"type\":\"element\",\"file\":" + escaped + ",\"line\":1,\"column\":1,\"tag\":\"a\"}",
          "{\"type\":\"diagnostic\",\"kind\":\"compile_error\",\"message\":\"m\",\"file\":" + escaped + "}")) {
        assertThatThrownBy(() -> parse(withAttachment(attachment))).as(path).isInstanceOf(PathRefusedException.class)
            .hasMessageStartingWith("attachments[0]: path refused");
      }
    }
  }

  @Test
  void imagesAreCheckedForBase64MagicNumberTypeAndSize() {
    assertRefused(image("image/png", "not base64!"), ErrorCode.INVALID_ARGUMENT, "image data is not valid base64");
    assertRefused(image("image/png", "iVBORw0KGgo"), ErrorCode.INVALID_ARGUMENT, "not a multiple of 4");
    assertRefused(image("image/png", PNG_B64.substring(0, 40) + "\\n" + PNG_B64.substring(40)), ErrorCode.INVALID_ARGUMENT,
        "image data is not valid base64");
    assertRefused(image("image/png", "data:image/png;base64," + PNG_B64), ErrorCode.INVALID_ARGUMENT, "without a 'data:' URL prefix");
    assertRefused(image("image/png", ""), ErrorCode.INVALID_ARGUMENT, "image data is empty");
    // a PNG claimed to be a JPEG, a text file claimed to be a PNG
    assertRefused(image("image/jpeg", PNG_B64), ErrorCode.INVALID_ARGUMENT, "image bytes do not match media_type image/jpeg: they are image/png");
    assertRefused(image("image/png", Base64.getEncoder().encodeToString("<svg onload=alert(1)>".getBytes())),
        ErrorCode.INVALID_ARGUMENT, "they are not a PNG, JPEG, GIF or WebP image");
    assertRefused(image("image/svg+xml", PNG_B64), ErrorCode.INVALID_ARGUMENT,
        "image media_type 'image/svg+xml' is not supported; use one of image/png, image/jpeg, image/gif, image/webp");
    assertRefused(image("IMAGE/PNG", PNG_B64), ErrorCode.INVALID_ARGUMENT, "is not supported");
    byte[] big = new byte[Attachment.MAX_IMAGE_BYTES + 1];
    System.arraycopy(PNG, 0, big, 0, PNG.length);
    assertRefused(image("image/png", Base64.getEncoder().encodeToString(big)), ErrorCode.TOO_LARGE, "image is larger than 3145728 bytes");
    byte[] justRight = new byte[Attachment.MAX_IMAGE_BYTES];
    System.arraycopy(PNG, 0, justRight, 0, PNG.length);
    Attachment.Image ok = new Attachment.Image("image/png", Optional.empty(), Base64.getEncoder().encodeToString(justRight));
    assertThat(ok.size()).isEqualTo(Attachment.MAX_IMAGE_BYTES);
    assertThat(ok.toString()).doesNotContain(ok.data().substring(0, 20)); // logs never get the bytes
  }

  @Test
  void everySupportedTypeIsRecognizedByItsMagicNumber() {
    byte[] jpeg = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 0x10};
    byte[] gif = "GIF89a\u0001\u0000".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    byte[] webp = "RIFF\u0000\u0000\u0000\u0000WEBPVP8 ".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    assertThat(Attachment.Image.sniff(PNG)).isEqualTo("image/png");
    assertThat(Attachment.Image.sniff(jpeg)).isEqualTo("image/jpeg");
    assertThat(Attachment.Image.sniff(gif)).isEqualTo("image/gif");
    assertThat(Attachment.Image.sniff(webp)).isEqualTo("image/webp");
    assertThat(Attachment.Image.sniff("RIFF\u0000\u0000\u0000\u0000WAVE".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))).isNull();
    assertThat(Attachment.Image.sniff(new byte[] {(byte) 0x89, 'P'})).isNull();
  }

  @Test
  void limitsOfAWholeMessage() {
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < ChatInput.MAX_ATTACHMENTS + 1; i++) {
      many.append(i == 0 ? "" : ",").append("{\"type\":\"file\",\"path\":\"a").append(i).append(".ts\"}");
    }
    assertRefused("{\"message\":\"m\",\"attachments\":[" + many + "]}", ErrorCode.TOO_LARGE, "21 attachments; at most 20");
    String img = "{\"type\":\"image\",\"media_type\":\"image/png\",\"data\":\"" + PNG_B64 + "\"}";
    assertRefused("{\"message\":\"m\",\"attachments\":[" + String.join(",", img, img, img, img, img) + "]}", ErrorCode.TOO_LARGE,
        "5 images; at most 4 per message");
    byte[] three = new byte[3 * 1024 * 1024];
    System.arraycopy(PNG, 0, three, 0, PNG.length);
    Attachment.Image large = new Attachment.Image("image/png", Optional.empty(), Base64.getEncoder().encodeToString(three));
    assertThatThrownBy(() -> new ChatInput("m", List.of(large, large, large))).isInstanceOf(TooLargeException.class)
        .hasMessageContaining("at most " + ChatInput.MAX_IMAGE_BYTES_TOTAL + " per message");
    assertThatThrownBy(() -> parse(withAttachment("{\"type\":\"element\",\"file\":\"a.ts\",\"line\":1,\"column\":1,\"tag\":\"a\","
        + "\"text\":\"" + "x".repeat(Attachment.MAX_TEXT_CHARS + 1) + "\"}"))).isInstanceOf(TooLargeException.class)
        .hasMessageContaining("element text is longer than 4000 characters");
  }

  @Test
  void textContextNamesEachAttachment() {
    ChatMessage.User user = new ChatMessage.User("make this button bigger", List.of(
        new Attachment.ElementSelection("src/App.tsx", 12, 7, "button", Optional.of("count is \"0\"\n")),
        new Attachment.FileReference("src/App.tsx", OptionalInt.of(2), OptionalInt.of(3)).withContent("2\tb\n3\t```\n"),
        new Attachment.DiagnosticReport(PreviewDiagnostic.Kind.COMPILE_ERROR, "Unexpected token", Optional.of("src/App.tsx"),
            OptionalInt.of(3), OptionalInt.of(9)),
        new Attachment.Image("image/png", Optional.of("mockup.png"), PNG_B64)));
    assertThat(user.textWithContext()).isEqualTo("""
        make this button bigger

        <attachments>
        Selected element <button> at src/App.tsx:12:7 with text "count is \\"0\\"\\n"
        File src/App.tsx, lines 2-3:
        ````
        2\tb
        3\t```
        ````
        Preview error (compile_error) at src/App.tsx:3:9: Unexpected token
        Image 1 "mockup.png" (image/png, %d bytes) is attached to this message.
        </attachments>""".formatted(PNG.length));
    assertThat(user.images()).hasSize(1);
    assertThat(new ChatMessage.User("plain").textWithContext()).isEqualTo("plain");
  }

  private static String withAttachment(String attachment) {
    return "{\"message\":\"m\",\"attachments\":[" + attachment + "]}";
  }

  private static String image(String mediaType, String data) {
    return withAttachment("{\"type\":\"image\",\"media_type\":\"" + mediaType + "\",\"data\":\"" + data + "\"}");
  }

  private static void assertRefused(String json, ErrorCode code, String message) {
    assertThatThrownBy(() -> parse(json)).isInstanceOf(ChatBuilderException.class)
        .satisfies(e -> assertThat(((ChatBuilderException) e).code()).isEqualTo(code))
        .hasMessageContaining(message);
  }

  @Test
  void invalidArgumentIsTheTypeForBadValues() {
    assertThatThrownBy(() -> parse(image("image/png", "@@@@"))).isInstanceOf(InvalidArgumentException.class);
  }
}
