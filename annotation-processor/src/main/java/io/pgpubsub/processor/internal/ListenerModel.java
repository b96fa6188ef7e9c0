package io.pgpubsub.processor.internal;

import java.util.List;

/**
 * One listener method, as scanned.
 *
 * @param declaringType the class that declares it
 * @param method the method name
 * @param staticMethod whether it is static
 * @param kind its annotation
 * @param id stable human-readable id: {@code com.example.MediaListeners#onSave(Media,Media)}
 * @param returnType null when void, else its display name
 * @param badThrows a thrown type that is not an Exception, or null
 * @param methodAccess what keeps generated code from calling the method
 * @param innerClass the enclosing inner (non-static) class that blocks instantiation, or null
 * @param params its parameters
 * @param where the method and its listener annotation
 */
public record ListenerModel(
    TypeRef declaringType,
    String method,
    boolean staticMethod,
    Kind kind,
    String id,
    String returnType,
    String badThrows,
    TypeRef.Access methodAccess,
    String innerClass,
    List<Param> params,
    Where where) {

  public ListenerModel {
    params = List.copyOf(params);
  }

  /** What a parameter is, by its type. */
  public enum ParamKind {
    /** a class or record type: must be the listener's channel type */
    CANDIDATE,
    DELIVERY,
    /** Session, EntityManager, Connection */
    RESOURCE,
    /** anything else: an error */
    OTHER
  }

  /**
   * @param name the parameter name
   * @param kind what it is
   * @param type its type (null for OTHER)
   * @param display its type as written, for messages
   * @param jpaEntity whether the type is a JPA {@code @Entity}
   * @param channelAnnotated whether the type carries {@code @TriggerChannel} or {@code @Channel} (it may have
   *     been compiled elsewhere)
   * @param where the parameter element
   */
  public record Param(
      String name,
      ParamKind kind,
      TypeRef type,
      String display,
      boolean jpaEntity,
      boolean channelAnnotated,
      Where where) {}
}
