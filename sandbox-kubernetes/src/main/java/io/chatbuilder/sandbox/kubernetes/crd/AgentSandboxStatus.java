package io.chatbuilder.sandbox.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * {@code SandboxStatus} of a {@code Sandbox}: {@code serviceFQDN} (e.g.
 * {@code sandbox-example.default.svc.cluster.local}), {@code service}, {@code conditions},
 * {@code replicas}, {@code selector}. Wire model: absent fields are null.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentSandboxStatus(
    @JsonProperty("serviceFQDN") String serviceFQDN,
    @JsonProperty("service") String service,
    @JsonProperty("conditions") List<Condition> conditions,
    @JsonProperty("replicas") int replicas,
    @JsonProperty("selector") String selector) {}
