package io.chatbuilder.sandbox.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/** {@code SandboxWarmPoolStatus}: {@code replicas}, {@code readyReplicas}, {@code conditions}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SandboxWarmPoolStatus(int replicas, int readyReplicas, List<Condition> conditions) {}
