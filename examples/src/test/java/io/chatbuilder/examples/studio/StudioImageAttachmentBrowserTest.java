package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image attached in the studio's page (the file picker, and a pasted screenshot) reaches the
 * request of both real model clients: {@code OpenAiChatModel} and {@code AnthropicChatModel}, chosen
 * by the studio's model selection from the environment and pointed at a MockWebServer that replays a
 * documented text stream of each provider (copied from the models module's fixtures). In real
 * headless Chromium; the chip can be removed before sending, and is gone after a send.
 */
class StudioImageAttachmentBrowserTest {
  @TempDir Path data;
  @TempDir Path profile;
  @TempDir Path files;
  private MockWebServer provider;
  private Studio studio;
  private StudioBrowser browser;

  @BeforeEach
  void start() throws Exception {
    provider = new MockWebServer();
    provider.start();
    browser = StudioBrowser.start(profile, "image", Duration.ofSeconds(30));
  }

  @AfterEach
  void stop() throws Exception {
    if (browser != null) {
      browser.close();
    }
    if (studio != null) {
      studio.close();
    }
    provider.close();
  }

  private void startStudio(Map<String, String> env, String fixture) throws Exception {
    ModelSelection.Choice choice = ModelSelection.fromEnvironment(env);
    studio = Studio.builder(data).port(0).model(choice.model()).start();
    String stream;
    try (InputStream in = getClass().getResourceAsStream("providers/" + fixture)) {
      stream = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").body(stream).build());
  }

  @Test
  void aPickedImageReachesTheOpenAiRequest() throws Exception {
    startStudio(Map.of("OPENAI_API_KEY", "sk-test", "OPENAI_BASE_URL", provider.url("/v1").toString(),
        "CHATBUILDER_MODEL", "gpt-4.1", "CHATBUILDER_OLLAMA", "off"), "openai-text.sse");
    assertThat(studio.modelName()).startsWith("openai:");
    String png = StudioAttachmentsApiTest.png();
    Path mockup = files.resolve("mockup.png");
    Files.write(mockup, Base64.getDecoder().decode(png));
    browser.createApp(studio, "pics", null);

    // Picked, removed, picked again: one chip.
    browser.driver.type("#image-input", mockup.toString());
    browser.waitFor("the image chip", "return document.querySelectorAll('#attachments .chip[data-type=image]').length === 1");
    assertThat(browser.text("#attachments .chip .label")).startsWith("mockup.png (image/png");
    browser.driver.click("#attachments .chip [data-testid=chip-remove]");
    browser.waitFor("no chip", "return document.querySelectorAll('#attachments .chip').length === 0");
    browser.driver.type("#image-input", mockup.toString());
    browser.waitFor("the image chip again", "return document.querySelectorAll('#attachments .chip[data-type=image]').length === 1");
    browser.shot("01-picked");

    browser.chat("make it look like this");
    browser.waitFor("the run to complete", "return document.querySelectorAll('.card.run_completed').length === 1");
    assertThat(browser.script("return document.querySelectorAll('#attachments .chip').length").asInt()).as("sent: cleared").isZero();
    assertThat(browser.text(".card.user .chip.sent[data-type=image]")).startsWith("mockup.png (image/png");

    RecordedRequest request = provider.takeRequest(10, TimeUnit.SECONDS);
    assertThat(request).isNotNull();
    assertThat(request.getTarget()).isEqualTo("/v1/chat/completions");
    JsonNode body = HttpTestClient.JSON.readTree(request.getBody().utf8());
    JsonNode user = lastUser(body.get("messages"));
    assertThat(user.get("content").toString())
        .contains("{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," + png + "\"}}")
        .contains("make it look like this");
  }

  @Test
  void aPastedScreenshotReachesTheAnthropicRequest() throws Exception {
    startStudio(Map.of("ANTHROPIC_API_KEY", "test-key", "ANTHROPIC_BASE_URL", provider.url("/").toString(),
        "CHATBUILDER_MODEL", "claude-sonnet-4-5", "CHATBUILDER_OLLAMA", "off"), "anthropic-text.sse");
    assertThat(studio.modelName()).startsWith("anthropic:");
    String png = StudioAttachmentsApiTest.png();
    browser.createApp(studio, "pics", null);

    // A screenshot pasted into the message box, as the clipboard hands it over (a File in clipboardData).
    browser.script("const bytes = Uint8Array.from(atob('" + png + "'), c => c.charCodeAt(0));"
        + " const dt = new DataTransfer(); dt.items.add(new File([bytes], 'screenshot.png', {type: 'image/png'}));"
        + " const input = document.getElementById('chat-input'); input.focus();"
        + " input.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true})); return true");
    browser.waitFor("the pasted image chip", "return document.querySelectorAll('#attachments .chip[data-type=image]').length === 1");
    // A pasted non-image is refused with a message, and attaches nothing.
    browser.script("const dt = new DataTransfer(); dt.items.add(new File(['<svg onload=alert(1)>'], 'x.svg', {type: 'image/svg+xml'}));"
        + " document.getElementById('image-input').files = dt.files;"
        + " document.getElementById('image-input').dispatchEvent(new Event('change')); return true");
    browser.waitFor("the refusal", "return !document.getElementById('toast').hidden"
        + " && document.getElementById('toast').textContent.includes('PNG, JPEG, GIF or WebP')");
    assertThat(browser.script("return document.querySelectorAll('#attachments .chip').length").asInt()).isEqualTo(1);
    browser.shot("02-pasted");

    browser.chat("match this screenshot");
    browser.waitFor("the run to complete", "return document.querySelectorAll('.card.run_completed').length === 1");

    RecordedRequest request = provider.takeRequest(10, TimeUnit.SECONDS);
    assertThat(request).isNotNull();
    assertThat(request.getTarget()).isEqualTo("/v1/messages");
    JsonNode body = HttpTestClient.JSON.readTree(request.getBody().utf8());
    JsonNode user = lastUser(body.get("messages"));
    assertThat(user.get("content").toString())
        .contains("{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"" + png + "\"}}")
        .contains("match this screenshot");
  }

  private static JsonNode lastUser(JsonNode messages) {
    JsonNode user = null;
    for (JsonNode m : messages) {
      if (m.path("role").asText().equals("user")) {
        user = m;
      }
    }
    assertThat(user).as("a user message in " + messages).isNotNull();
    return user;
  }
}
