package io.chatbuilder.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ToolCall;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContextBudgetTest {
  private static List<ChatMessage> exchange(int n, int outputSize) {
    return List.of(new ChatMessage.User("request " + n),
        new ChatMessage.Assistant("", List.of(new ToolCall("c" + n, "read_file", "{}"))),
        new ChatMessage.ToolResult("c" + n, "read_file", "x".repeat(outputSize), false),
        new ChatMessage.Assistant("done " + n, List.of()));
  }

  @Test
  void anImageCountsAsAScreenshotsWorthOfTextNotItsBase64AndLeavesWithItsExchange() {
    String png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
    ChatMessage.User withImage = new ChatMessage.User("like this", List.of(
        new io.chatbuilder.core.model.Attachment.Image("image/png", java.util.Optional.empty(), png)));
    assertThat(ContextBudget.size(List.of(withImage)))
        .isEqualTo(withImage.textWithContext().length() + ContextBudget.IMAGE_CHARS);
    List<ChatMessage> messages = new ArrayList<>();
    messages.add(withImage);
    messages.add(new ChatMessage.Assistant("ok", List.of()));
    messages.addAll(exchange(2, 100));
    messages.addAll(exchange(3, 100));
    // over budget: the oldest exchange goes whole, image and all
    List<ChatMessage> fitted = ContextBudget.fit(messages, 1_000);
    assertThat(fitted).containsExactlyElementsOf(messages.subList(2, messages.size()));
  }

  @Test
  void underBudgetIsUntouched() {
    List<ChatMessage> messages = exchange(1, 100);
    assertThat(ContextBudget.fit(messages, 10_000)).isSameAs(messages);
  }

  @Test
  void shortensOldToolOutputFirstAndKeepsTheLatestExchangeWhole() {
    List<ChatMessage> messages = new ArrayList<>();
    messages.addAll(exchange(1, 50_000));
    messages.addAll(exchange(2, 50_000));
    List<ChatMessage> fitted = ContextBudget.fit(messages, 60_000);
    assertThat(fitted).hasSize(8);
    assertThat(((ChatMessage.ToolResult) fitted.get(2)).content()).contains("shortened").hasSizeLessThan(1000);
    assertThat(((ChatMessage.ToolResult) fitted.get(6)).content()).hasSize(50_000);
    assertThat(ContextBudget.size(fitted)).isLessThanOrEqualTo(60_000);
  }

  @Test
  void shortensEarlierTurnsOfTheCurrentRunToo() {
    List<ChatMessage> messages = new ArrayList<>();
    messages.add(new ChatMessage.User("build it"));
    for (int i = 0; i < 10; i++) {
      messages.add(new ChatMessage.Assistant("", List.of(new ToolCall("c" + i, "read_file", "{}"))));
      messages.add(new ChatMessage.ToolResult("c" + i, "read_file", "y".repeat(100_000), false));
    }
    List<ChatMessage> fitted = ContextBudget.fit(messages, 400_000);
    assertThat(ContextBudget.size(fitted)).isLessThanOrEqualTo(400_000);
    assertThat(((ChatMessage.ToolResult) fitted.get(fitted.size() - 1)).content()).hasSize(100_000);
    assertThat(((ChatMessage.ToolResult) fitted.get(2)).content()).contains("shortened");
  }

  @Test
  void dropsWholeOldExchangesWhenShorteningIsNotEnough() {
    List<ChatMessage> messages = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      messages.add(new ChatMessage.User("u".repeat(1000)));
      messages.add(new ChatMessage.Assistant("a".repeat(1000), List.of()));
    }
    List<ChatMessage> fitted = ContextBudget.fit(messages, 10_000);
    assertThat(ContextBudget.size(fitted)).isLessThanOrEqualTo(10_000);
    assertThat(fitted.get(0)).isInstanceOf(ChatMessage.User.class);
    assertThat(fitted.get(fitted.size() - 1)).isEqualTo(messages.get(messages.size() - 1));
  }
}
