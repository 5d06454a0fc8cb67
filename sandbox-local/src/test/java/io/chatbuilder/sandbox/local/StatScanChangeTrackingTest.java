package io.chatbuilder.sandbox.local;

/** Every trap of {@link ChangeTrackingTest} with {@link ChangeDetection#STAT_EVERY_SCAN}, still selectable. */
class StatScanChangeTrackingTest extends ChangeTrackingTest {
  @Override
  ChangeDetection detection() {
    return ChangeDetection.STAT_EVERY_SCAN;
  }
}
