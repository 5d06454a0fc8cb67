package io.chatbuilder.sandbox.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code SandboxWarmPoolSpec}: {@code replicas} and {@code sandboxTemplateRef} (both required). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SandboxWarmPoolSpec(
    @JsonProperty("replicas") int replicas,
    @JsonProperty("sandboxTemplateRef") SandboxTemplateRef sandboxTemplateRef) {}
