package io.chatbuilder.core.model;

import java.util.List;
import java.util.Objects;

/** One message of an app's conversation, in provider-neutral form. */
public sealed interface ChatMessage {

  /**
   * What the person typed, and what they attached to it (empty for most messages, and for messages
   * stored before attachments existed). Model clients send {@link #textWithContext()} as the turn's
   * text and {@link #images()} as its image parts.
   */
  record User(String text, List<Attachment> attachments) implements ChatMessage {
    public User {
      Objects.requireNonNull(text, "text == null");
      attachments = List.copyOf(Objects.requireNonNull(attachments, "attachments == null"));
    }

    /** A message without attachments. */
    public User(String text) {
      this(text, List.of());
    }

    /** The images, in the order attached. */
    public List<Attachment.Image> images() {
      return attachments.stream().filter(a -> a instanceof Attachment.Image).map(a -> (Attachment.Image) a).toList();
    }

    /**
     * The text the model gets: {@link #text()}, then (when there are attachments) what they say, e.g.
     * {@code Selected element <button> at src/App.tsx:12:7 with text "count is 0"}, the referenced
     * lines of a file, a preview error with its place, and a line naming each image (sent as an image
     * part next to this text). The same for every provider.
     */
    public String textWithContext() {
      return AttachmentText.render(text, attachments);
    }
  }

  /**
   * A model turn: its text, the tool calls it asked for, and the reasoning it did (any may be
   * empty). The reasoning is kept so providers that require it back in tool loops get it unchanged;
   * it is never part of {@code text}.
   */
  record Assistant(String text, List<ToolCall> toolCalls, List<Reasoning> reasoning) implements ChatMessage {
    public Assistant {
      Objects.requireNonNull(text, "text == null");
      toolCalls = List.copyOf(toolCalls);
      reasoning = List.copyOf(reasoning);
    }

    /** A turn without reasoning. */
    public Assistant(String text, List<ToolCall> toolCalls) {
      this(text, toolCalls, List.of());
    }
  }

  /** The result of one tool call, sent back to the model under the call's id. */
  record ToolResult(String callId, String toolName, String content, boolean error) implements ChatMessage {
    public ToolResult {
      Objects.requireNonNull(callId, "callId == null");
      Objects.requireNonNull(toolName, "toolName == null");
      Objects.requireNonNull(content, "content == null");
    }
  }

  /**
   * Context the host adds between turns, such as "the person undid your last change". Providers
   * send it as a user-side message marked as coming from the system.
   */
  record Note(String text) implements ChatMessage {
    public Note {
      Objects.requireNonNull(text, "text == null");
    }
  }
}
