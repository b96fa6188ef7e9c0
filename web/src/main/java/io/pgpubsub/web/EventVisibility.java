package io.pgpubsub.web;

import java.security.Principal;

/**
 * Decides, once per subscriber and event, whether that subscriber may see the event, live and on replay. It runs
 * in the JVM on the node's delivery threads: keep it fast and never block in it.
 *
 * @param <T> the channel's row type
 */
@FunctionalInterface
public interface EventVisibility<T> {

  boolean visible(Principal principal, ChangeEvent<T> event);
}
