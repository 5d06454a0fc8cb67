package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.ResourceLimits;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The JSON forms survive a round trip, and malformed JSON is an invalid argument. */
class WireTest {
  @Test
  void policyRoundTripsExceptArgumentRules() {
    CommandPolicy policy = CommandPolicy.builder().allow("git").deny("npx").allowShell(true).allowNetwork(false)
        .maxTimeout(Duration.ofMinutes(3)).defaultTimeout(Duration.ofSeconds(20)).outputLimitBytes(4096)
        .passEnvironment("HTTP_PROXY").fixedEnvironment("TZ", "UTC").allowHosts("*.example.org")
        .limits(ResourceLimits.DEFAULTS.withMaxProcesses(64).withCpuCores(0.5)).build();
    CommandPolicy copy = Wire.policy(Wire.policy(policy).deepCopy());
    assertThat(copy.allowedPrograms()).isEqualTo(policy.allowedPrograms());
    assertThat(copy.deniedPrograms()).isEqualTo(policy.deniedPrograms());
    assertThat(copy.allowShell()).isTrue();
    assertThat(copy.allowNetwork()).isFalse();
    assertThat(copy.maxTimeout()).isEqualTo(Duration.ofMinutes(3));
    assertThat(copy.defaultTimeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(copy.outputLimitBytes()).isEqualTo(4096);
    assertThat(copy.environmentAllowlist()).isEqualTo(policy.environmentAllowlist());
    assertThat(copy.fixedEnvironment()).isEqualTo(policy.fixedEnvironment());
    assertThat(copy.allowedHosts()).containsExactlyInAnyOrder("registry.npmjs.org", "*.example.org");
    assertThat(copy.hostAllowed("cdn.example.org")).isTrue();
    assertThat(copy.hostAllowed("example.org.evil.test")).isFalse();
    assertThat(copy.limits()).isEqualTo(policy.limits());
  }

  @Test
  void aPolicyWithoutNetworkFieldsReadsAsNoNetwork() {
    CommandPolicy copy = Wire.policy(Wire.NODES.objectNode().put("allow_shell", false));
    assertThat(copy.allowNetwork()).isFalse();
    assertThat(copy.allowedHosts()).isEmpty();
    assertThat(copy.allowedPrograms()).isEmpty();
  }

  @Test
  void searchCommandResultAndDraftStatusRoundTrip() {
    SearchQuery query = new SearchQuery("a.c", true, true, List.of("src/**"), 7, 2, Duration.ofMillis(1500));
    assertThat(Wire.query(Wire.query(query))).isEqualTo(query);
    SearchResult result = new SearchResult(List.of(new SearchResult.Match("a.txt", 3, "abc", List.of("x"), List.of("y", "z"))), true, 4);
    assertThat(Wire.searchResult(Wire.searchResult(result))).isEqualTo(result);
    CommandResult exit = new CommandResult(-1, "out ✓", "err", true, false, true, true, Duration.ofMillis(1234));
    assertThat(Wire.result(Wire.result(exit))).isEqualTo(exit);
    DraftStatus draft = new DraftStatus("shop", DraftState.RESTARTING, Optional.of("http://h:5173/"), List.of("a", "b"),
        Optional.of("crashed"), 2, Instant.parse("2026-01-02T03:04:05.678Z"));
    assertThat(Wire.draft(Wire.draft(draft))).isEqualTo(draft);
    Map<String, Optional<byte[]>> files = Wire.fileSet(Wire.fileSet(Map.of("a.bin", Optional.of(new byte[] {0, -1, 2}), "gone", Optional.empty())));
    assertThat(files.get("a.bin")).hasValueSatisfying(b -> assertThat(b).containsExactly(0, -1, 2));
    assertThat(files.get("gone")).isEmpty();
  }

  @Test
  void malformedBodiesAreInvalidArguments() {
    assertThatThrownBy(() -> Wire.parseObject("[1]".getBytes(StandardCharsets.UTF_8))).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> Wire.parseObject("{".getBytes(StandardCharsets.UTF_8))).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> Wire.fileSet(Wire.parseObject("{\"files\":{\"a\":\"%%%\"}}".getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("base64");
    assertThatThrownBy(() -> Wire.fileSet(Wire.parseObject("{\"files\":{\"a\":5}}".getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> Wire.query(Wire.parseObject("{\"pattern\":\"x\",\"context_lines\":99}".getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> Wire.command(Wire.parseObject("{\"argv\":[\"npm\"],\"env\":{\"A\":1}}".getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("env value");
  }
}
