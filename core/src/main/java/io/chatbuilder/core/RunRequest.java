package io.chatbuilder.core;

import io.chatbuilder.core.access.AppPrincipal;
import io.chatbuilder.core.model.Attachment;
import io.chatbuilder.core.model.ChatInput;
import io.chatbuilder.core.model.ModelClient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One chat run as the host asks for it: the person's message and attachments, who sends it, the
 * host's attributes for the run (a tenant, a request id, a feature flag — they reach every tool
 * through {@link io.chatbuilder.core.tool.ToolContext#attributes()} and the run's
 * {@code run_started} event), and optionally another model than the facade's for this run only.
 *
 * <p>Attributes are small strings: at most {@value #MAX_ATTRIBUTES} of them, names of 1–64
 * characters {@code [A-Za-z0-9_.-]}, values of at most {@value #MAX_ATTRIBUTE_CHARS} characters.
 * They are recorded in the event log, so never put secrets in them.
 */
public record RunRequest(ChatInput input, AppPrincipal principal, Map<String, String> attributes, Optional<ModelClient> model) {
  public static final int MAX_ATTRIBUTES = 32;
  public static final int MAX_ATTRIBUTE_CHARS = 1024;

  public RunRequest {
    Objects.requireNonNull(input, "input == null");
    Objects.requireNonNull(principal, "principal == null");
    Objects.requireNonNull(model, "model == null");
    Objects.requireNonNull(attributes, "attributes == null");
    if (attributes.size() > MAX_ATTRIBUTES) {
      throw new InvalidArgumentException("a run takes at most " + MAX_ATTRIBUTES + " attributes, not " + attributes.size());
    }
    TreeMap<String, String> copy = new TreeMap<>();
    attributes.forEach((name, value) -> {
      if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
        throw new InvalidArgumentException("attribute name " + (name == null ? "null" : "'" + name + "'")
            + " is not 1-64 characters of letters, digits, '_', '.' or '-'");
      }
      if (value == null) {
        throw new InvalidArgumentException("attribute " + name + " has no value");
      }
      if (value.length() > MAX_ATTRIBUTE_CHARS) {
        throw new InvalidArgumentException("attribute " + name + " is longer than " + MAX_ATTRIBUTE_CHARS + " characters");
      }
      copy.put(name, value);
    });
    attributes = Collections.unmodifiableMap(copy);
  }

  /** A message from nobody in particular, with the facade's model. */
  public static RunRequest of(String message) {
    return builder(message).build();
  }

  public static Builder builder(String message) {
    return new Builder(message);
  }

  /** Copies a request into a builder, e.g. to change its principal. */
  public Builder toBuilder() {
    Builder b = new Builder(input.message()).principal(principal).model(model);
    input.attachments().forEach(b::attachment);
    attributes.forEach(b::attribute);
    return b;
  }

  /** Builds a {@link RunRequest}; every setter copies. */
  public static final class Builder {
    private final String message;
    private final List<Attachment> attachments = new ArrayList<>();
    private AppPrincipal principal = AppPrincipal.ANONYMOUS;
    private final Map<String, String> attributes = new TreeMap<>();
    private Optional<ModelClient> model = Optional.empty();

    private Builder(String message) {
      this.message = Objects.requireNonNull(message, "message == null");
    }

    public Builder attachment(Attachment attachment) {
      attachments.add(Objects.requireNonNull(attachment, "attachment == null"));
      return this;
    }

    public Builder attachments(List<? extends Attachment> attachments) {
      Objects.requireNonNull(attachments, "attachments == null").forEach(this::attachment);
      return this;
    }

    public Builder principal(AppPrincipal principal) {
      this.principal = Objects.requireNonNull(principal, "principal == null");
      return this;
    }

    public Builder attribute(String name, String value) {
      attributes.put(Objects.requireNonNull(name, "name == null"), Objects.requireNonNull(value, "value == null"));
      return this;
    }

    /** This run talks to {@code model} instead of the facade's model. */
    public Builder model(ModelClient model) {
      this.model = Optional.of(Objects.requireNonNull(model, "model == null"));
      return this;
    }

    private Builder model(Optional<ModelClient> model) {
      this.model = model;
      return this;
    }

    /**
     * @throws InvalidArgumentException if the message, an attachment or an attribute is not acceptable
     */
    public RunRequest build() {
      return new RunRequest(new ChatInput(message, attachments), principal, attributes, model);
    }
  }
}
