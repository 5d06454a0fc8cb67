package io.chatbuilder.core.model;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.TooLargeException;
import java.util.List;
import java.util.Objects;

/**
 * One message of the person and what they attached to it ({@link Attachment}): what
 * {@code ChatBuilder.chat(appId, input)} takes. Checks the limits of a whole message: a non-blank
 * message, at most {@link #MAX_ATTACHMENTS} attachments, at most {@link #MAX_IMAGES} images and
 * {@link #MAX_IMAGE_BYTES_TOTAL} image bytes.
 */
public record ChatInput(String message, List<Attachment> attachments) {
  /** Most attachments of one message. */
  public static final int MAX_ATTACHMENTS = 20;
  /** Most images of one message. */
  public static final int MAX_IMAGES = 4;
  /** Most decoded image bytes of one message (8 MiB; the stored message stays under 16 MiB). */
  public static final int MAX_IMAGE_BYTES_TOTAL = 8 * 1024 * 1024;
  /** Longest message. */
  public static final int MAX_MESSAGE_CHARS = 100_000;

  public ChatInput {
    Objects.requireNonNull(message, "message == null");
    if (message.isBlank()) {
      throw new InvalidArgumentException("message is empty");
    }
    if (message.length() > MAX_MESSAGE_CHARS) {
      throw new TooLargeException("message is longer than " + MAX_MESSAGE_CHARS + " characters");
    }
    attachments = List.copyOf(Objects.requireNonNull(attachments, "attachments == null"));
    if (attachments.size() > MAX_ATTACHMENTS) {
      throw new TooLargeException(attachments.size() + " attachments; at most " + MAX_ATTACHMENTS + " per message");
    }
    long images = attachments.stream().filter(a -> a instanceof Attachment.Image).count();
    if (images > MAX_IMAGES) {
      throw new TooLargeException(images + " images; at most " + MAX_IMAGES + " per message");
    }
    long bytes = attachments.stream().mapToLong(a -> a instanceof Attachment.Image i ? i.size() : 0).sum();
    if (bytes > MAX_IMAGE_BYTES_TOTAL) {
      throw new TooLargeException("the images have " + bytes + " bytes together; at most " + MAX_IMAGE_BYTES_TOTAL
          + " per message");
    }
  }

  /** A message without attachments. */
  public static ChatInput of(String message) {
    return new ChatInput(message, List.of());
  }
}
