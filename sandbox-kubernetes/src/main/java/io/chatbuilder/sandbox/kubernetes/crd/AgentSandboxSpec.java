package io.chatbuilder.sandbox.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code SandboxSpec}: {@code podTemplate} (required), {@code shutdownTime}, {@code shutdownPolicy}, {@code replicas} (0 or 1). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentSandboxSpec(PodTemplate podTemplate, String shutdownTime, String shutdownPolicy, Integer replicas) {}
