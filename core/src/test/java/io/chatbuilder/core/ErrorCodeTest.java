package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** One mapping from error codes to HTTP statuses, and wire names that round-trip. */
class ErrorCodeTest {
  @Test
  void everyCodeHasAStatusAndRoundTripsByWireName() {
    for (ErrorCode code : ErrorCode.values()) {
      assertThat(code.httpStatus()).as(code.name()).isBetween(400, 599);
      assertThat(ErrorCode.fromWireName(code.wireName())).isEqualTo(code);
    }
    assertThat(ErrorCode.fromWireName("a_code_from_a_newer_server")).isEqualTo(ErrorCode.INTERNAL);
  }

  @Test
  void authenticationAndAuthorizationAreDistinct() {
    assertThat(ErrorCode.UNAUTHENTICATED.httpStatus()).isEqualTo(401);
    assertThat(ErrorCode.UNAUTHORIZED.httpStatus()).isEqualTo(403);
    assertThat(ErrorCode.BUSY.httpStatus()).isEqualTo(409);
    assertThat(ErrorCode.PATH_REFUSED.httpStatus()).isEqualTo(400);
  }
}
