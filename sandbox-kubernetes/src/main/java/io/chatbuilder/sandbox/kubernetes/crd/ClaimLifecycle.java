package io.chatbuilder.sandbox.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * {@code Lifecycle} of a claim: {@code shutdownTime} (RFC 3339, the claim's expiry) and
 * {@code shutdownPolicy} ({@code Delete} or {@code Retain}). Wire model: absent fields are null.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ClaimLifecycle(String shutdownTime, String shutdownPolicy) {}
