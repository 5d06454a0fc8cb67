package io.chatbuilder.sandbox.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code SandboxClaimSpec}: {@code sandboxTemplateRef} (required), {@code lifecycle} and
 * {@code warmpool} ({@code "none"}, {@code "default"} or the name of a pool). Wire model: absent
 * optional fields are null. Nothing else goes in a claim: values such as environment variables
 * force a cold start instead of taking a warm sandbox.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SandboxClaimSpec(
    @JsonProperty("sandboxTemplateRef") SandboxTemplateRef sandboxTemplateRef,
    @JsonProperty("lifecycle") ClaimLifecycle lifecycle,
    @JsonProperty("warmpool") String warmpool) {}
