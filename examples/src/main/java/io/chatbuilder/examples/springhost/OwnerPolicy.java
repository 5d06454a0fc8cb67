package io.chatbuilder.examples.springhost;

import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.access.AppAction;
import io.chatbuilder.core.access.AppPrincipal;


/**
 * Each user owns the apps whose id starts with their name and a dash ({@code alice-shop}); nobody
 * else may see or change them, and nobody anonymous may do anything. A real host would look the
 * owner up in its own tables; a naming rule keeps the sample short and needs no extra state.
 */
final class OwnerPolicy implements AppAccessPolicy {
  @Override
  public boolean allows(AppPrincipal principal, String appId, AppAction action) {
    return !principal.anonymous() && appId.startsWith(principal.name() + "-");
  }
}
