package io.chatbuilder.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardingCheckpointStoreTest {

  /** A method added to CheckpointStore, default or not, must be forwarded too. */
  @Test
  void forwardsEveryInstanceMethodOfTheStoreInterface() throws Exception {
    for (Method m : CheckpointStore.class.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      Method forwarding = ForwardingCheckpointStore.class.getMethod(m.getName(), m.getParameterTypes());
      assertThat(forwarding.getDeclaringClass()).as(m.toString()).isEqualTo(ForwardingCheckpointStore.class);
    }
  }

  @Test
  void eachCallReachesTheDelegateWithItsArguments() throws Exception {
    List<String> calls = new ArrayList<>();
    CheckpointStore recorder = (CheckpointStore) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {CheckpointStore.class}, (proxy, method, args) -> {
          calls.add(method.getName() + Arrays.deepToString(args == null ? new Object[0] : args));
          return null;
        });
    ForwardingCheckpointStore forwarding = () -> recorder;
    for (Method m : CheckpointStore.class.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      Object[] args = new Object[m.getParameterCount()];
      for (int i = 0; i < args.length; i++) {
        args[i] = sample(m.getParameterTypes()[i], i);
      }
      calls.clear();
      m.invoke(forwarding, args);
      assertThat(calls).as(m.toString()).containsExactly(m.getName() + Arrays.deepToString(args));
    }
  }

  private static Object sample(Class<?> type, int i) {
    if (type == String.class) {
      return "arg" + i;
    }
    if (type == int.class) {
      return 7 + i;
    }
    if (type == byte[].class) {
      return new byte[] {(byte) i};
    }
    if (type == java.util.Optional.class) {
      return java.util.Optional.of("before" + i);
    }
    if (type == java.util.Collection.class) {
      return List.of("p" + i);
    }
    return null; // records the store takes (drafts, leases, queries): identity is enough here
  }
}
