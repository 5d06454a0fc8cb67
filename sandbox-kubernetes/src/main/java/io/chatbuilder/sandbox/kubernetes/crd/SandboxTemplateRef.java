package io.chatbuilder.sandbox.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/** {@code SandboxTemplateRef}: the name of a {@code SandboxTemplate} (required). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SandboxTemplateRef(String name) {
  public SandboxTemplateRef {
    Objects.requireNonNull(name, "name == null");
  }
}
