package io.chatbuilder.sandbox.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Optional;

/**
 * {@code SandboxClaimStatus}: {@code conditions} and {@code sandbox} (whose name field is spelled
 * {@code Name} in v1alpha1). Wire model: absent fields are null.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SandboxClaimStatus(
    @JsonProperty("conditions") List<Condition> conditions,
    @JsonProperty("sandbox") SandboxRef sandbox) {

  /** {@code status.sandbox}: the name of the {@code Sandbox} bound to the claim. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record SandboxRef(@JsonProperty("Name") @JsonAlias("name") String name) {}

  /** The condition of this type, if reported. */
  public Optional<Condition> condition(String type) {
    return conditions == null ? Optional.empty()
        : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /** Whether {@code Ready} is {@code True} and a sandbox is named. */
  public boolean ready() {
    return condition(AgentSandboxApi.READY).map(c -> "True".equals(c.getStatus())).orElse(false)
        && sandboxName().isPresent();
  }

  public Optional<String> sandboxName() {
    return sandbox == null || sandbox.name() == null || sandbox.name().isEmpty() ? Optional.empty() : Optional.of(sandbox.name());
  }
}
