package io.pgpubsub.web;

import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;

/** Decides at connect time whether a request may open a channel's event stream (false answers 403). */
@FunctionalInterface
public interface ConnectAuthorizer {

  /**
   * @param principal the request's user (null when anonymous and {@link PushEndpoint.Builder#requireAuthentication}
   *     is off)
   * @param channel the channel asked for (it has a projection)
   * @param request the request, for its parameters and headers
   */
  boolean allowed(Principal principal, String channel, HttpServletRequest request);
}
