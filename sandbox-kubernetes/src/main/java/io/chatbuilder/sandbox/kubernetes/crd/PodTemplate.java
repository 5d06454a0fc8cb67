package io.chatbuilder.sandbox.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.Map;

/** {@code PodTemplate}: {@code spec} (required) and {@code metadata} (labels and annotations only). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record PodTemplate(PodSpec spec, Metadata metadata) {

  /** {@code PodMetadata}. Wire model: absent maps are null. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Metadata(Map<String, String> labels, Map<String, String> annotations) {}
}
