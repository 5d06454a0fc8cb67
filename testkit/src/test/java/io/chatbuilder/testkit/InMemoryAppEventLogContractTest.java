package io.chatbuilder.testkit;

import io.chatbuilder.core.event.AppEventLog;
import io.chatbuilder.core.event.InMemoryAppEventLog;

class InMemoryAppEventLogContractTest extends AppEventLogContract {
  @Override
  protected AppEventLog createLog() {
    return new InMemoryAppEventLog();
  }
}
