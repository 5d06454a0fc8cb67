package io.chatbuilder.sandbox.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * {@code SandboxTemplateSpec}: {@code podTemplate} (required), {@code volumeClaimTemplates} and
 * {@code networkPolicy} (a restricted NetworkPolicySpec: {@code ingress}, {@code egress}), kept as
 * plain JSON values. Wire model: absent optional fields are null.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SandboxTemplateSpec(
    PodTemplate podTemplate, List<Map<String, Object>> volumeClaimTemplates, Map<String, Object> networkPolicy) {}
