package io.pgpubsub.processor.internal;

import io.pgpubsub.processor.internal.ChannelModel.ColumnRef;
import io.pgpubsub.processor.internal.ListenerModel.Param;
import io.pgpubsub.processor.internal.ListenerModel.ParamKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.NestingKind;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.Elements;
import javax.lang.model.util.Types;

/**
 * Turns annotated elements into model records. Reports only what it cannot model at all (an annotation on
 * the wrong kind of type); everything else is the {@link Validator}'s job.
 */
public final class Scanner {

  private final Elements elements;
  private final Types types;
  private final Reporter reporter;
  private final EntityScanner entities;

  public Scanner(Elements elements, Types types, Options options, Reporter reporter) {
    this.elements = elements;
    this.types = types;
    this.reporter = reporter;
    this.entities = new EntityScanner(options);
  }

  /** A {@code @TriggerChannel} type, or empty (after an error) when it is not an entity. */
  public Optional<ChannelModel> triggerChannel(TypeElement type) {
    AnnotationMirror annotation = Annotations.find(type, Names.TRIGGER_CHANNEL).orElseThrow();
    Where where = Where.of(type, annotation);
    if (type.getKind() != ElementKind.CLASS || !Annotations.has(type, Names.ENTITY)) {
      reporter.report(where, Message.TRIGGER_CHANNEL_NOT_ENTITY, type.getQualifiedName());
      return Optional.empty();
    }
    TableModel table = entities.scan(type);
    Optional<AnnotationValue> nameValue = Annotations.value(annotation, "name");
    String name = nameValue.map(v -> (String) v.getValue()).filter(n -> !n.isEmpty()).orElse(table.name());
    List<Op> operations = null;
    if (Annotations.value(annotation, "operations").isPresent()) {
      operations = new ArrayList<>();
      for (AnnotationValue v : Annotations.list(annotation, "operations")) {
        operations.add(Op.valueOf(((VariableElement) v.getValue()).getSimpleName().toString()));
      }
    }
    return Optional.of(
        new ChannelModel(
            name,
            nameValue.map(where::at).orElse(where),
            typeRef(type),
            true,
            Annotations.bool(annotation, "lockable", true),
            Annotations.bool(annotation, "pgNotify", true),
            table,
            operations,
            columnRefs(annotation, "watchColumns", where),
            columnRefs(annotation, "excludeColumns", where),
            where,
            Annotations.bool(annotation, "ordered", false),
            Annotations.value(annotation, "ordered").map(where::at).orElse(where),
            Annotations.value(annotation, "orderKey")
                .filter(v -> !((String) v.getValue()).isEmpty())
                .map(v -> new ColumnRef((String) v.getValue(), where.at(v)))
                .orElse(null),
            Annotations.enumConstant(annotation, "deadKeyPolicy", "MOVE_ON"),
            Annotations.bool(annotation, "stream", false),
            Annotations.value(annotation, "stream").map(where::at).orElse(where),
            Annotations.value(annotation, "retain").map(v -> (String) v.getValue()).orElse(null),
            Annotations.value(annotation, "retain").map(where::at).orElse(where),
            Annotations.value(annotation, "retainCount").map(v -> ((Number) v.getValue()).longValue()).orElse(0L),
            Annotations.value(annotation, "retainCount").map(where::at).orElse(null)));
  }

  /** A {@code @Channel} record, or empty (after an error) when it is not a record. */
  public Optional<ChannelModel> plainChannel(TypeElement type) {
    AnnotationMirror annotation = Annotations.find(type, Names.CHANNEL).orElseThrow();
    Where where = Where.of(type, annotation);
    if (type.getKind() != ElementKind.RECORD) {
      reporter.report(where, Message.CHANNEL_NOT_RECORD, type.getQualifiedName());
      return Optional.empty();
    }
    Optional<AnnotationValue> nameValue = Annotations.value(annotation, "name");
    String name =
        nameValue
            .map(v -> (String) v.getValue())
            .filter(n -> !n.isEmpty())
            .orElse(SqlNames.channelNameOf(type.getSimpleName().toString()));
    return Optional.of(
        new ChannelModel(
            name,
            nameValue.map(where::at).orElse(where),
            typeRef(type),
            false,
            Annotations.bool(annotation, "lockable", true),
            true,
            null,
            List.of(),
            List.of(),
            List.of(),
            where,
            Annotations.bool(annotation, "ordered", false),
            Annotations.value(annotation, "ordered").map(where::at).orElse(where),
            null,
            Annotations.enumConstant(annotation, "deadKeyPolicy", "MOVE_ON"),
            false,
            where,
            null,
            where,
            0,
            null));
  }

  /**
   * A listener method, or empty (after an error) when it carries several listener annotations. Call once
   * per method, whichever of its annotations found it.
   */
  public Optional<ListenerModel> listener(ExecutableElement method) {
    List<Kind> kinds = new ArrayList<>();
    List<AnnotationMirror> mirrors = new ArrayList<>();
    for (Kind k : Kind.values()) {
      Annotations.find(method, k.annotation())
          .ifPresent(
              m -> {
                kinds.add(k);
                mirrors.add(m);
              });
    }
    Where where = Where.of(method, mirrors.get(0));
    TypeElement owner = (TypeElement) method.getEnclosingElement();
    String display = owner.getQualifiedName() + "#" + method.getSimpleName();
    if (kinds.size() > 1) {
      StringJoiner names = new StringJoiner(", ");
      kinds.forEach(k -> names.add("@" + k.annotationSimpleName()));
      reporter.report(Where.of(method), Message.LISTENER_SEVERAL_ANNOTATIONS, display, names);
      return Optional.empty();
    }

    List<Param> params = new ArrayList<>();
    StringJoiner signature = new StringJoiner(",", "(", ")");
    for (VariableElement p : method.getParameters()) {
      if (p.asType().getKind() == TypeKind.ERROR) {
        return Optional.empty(); // javac reports the unknown type itself
      }
      TypeMirror t = types.erasure(p.asType());
      signature.add(simpleTypeName(t));
      params.add(param(p, t));
    }
    String returnType =
        method.getReturnType().getKind() == TypeKind.VOID ? null : method.getReturnType().toString();
    String badThrows = null;
    TypeMirror exception = elements.getTypeElement("java.lang.Exception").asType();
    TypeMirror error = elements.getTypeElement("java.lang.Error").asType();
    for (TypeMirror thrown : method.getThrownTypes()) {
      if (!types.isSubtype(thrown, exception) && !types.isSubtype(thrown, error)) {
        badThrows = thrown.toString();
      }
    }
    boolean isStatic = method.getModifiers().contains(Modifier.STATIC);
    return Optional.of(
        new ListenerModel(
            typeRef(owner),
            method.getSimpleName().toString(),
            isStatic,
            kinds.get(0),
            owner.getQualifiedName() + "#" + method.getSimpleName() + signature,
            returnType,
            badThrows,
            memberAccess(method, "method " + method.getSimpleName()),
            isStatic ? null : innerClass(owner),
            params,
            where));
  }

  private Param param(VariableElement p, TypeMirror erased) {
    Where where = Where.of(p);
    String name = p.getSimpleName().toString();
    String display = p.asType().toString();
    if (erased.getKind() != TypeKind.DECLARED) {
      return new Param(name, ParamKind.OTHER, null, display, false, false, where);
    }
    TypeElement type = (TypeElement) ((DeclaredType) erased).asElement();
    String qualified = type.getQualifiedName().toString();
    ParamKind kind =
        switch (qualified) {
          case Names.DELIVERY -> ParamKind.DELIVERY;
          case Names.HIBERNATE_SESSION, Names.ENTITY_MANAGER, Names.JDBC_CONNECTION -> ParamKind.RESOURCE;
          default -> ParamKind.CANDIDATE;
        };
    return new Param(
        name,
        kind,
        typeRef(type),
        display,
        Annotations.has(type, Names.ENTITY),
        Annotations.has(type, Names.TRIGGER_CHANNEL) || Annotations.has(type, Names.CHANNEL),
        where);
  }

  private static String simpleTypeName(TypeMirror t) {
    if (t.getKind() == TypeKind.DECLARED) {
      return ((DeclaredType) t).asElement().getSimpleName().toString();
    }
    String s = t.toString();
    return s.substring(s.lastIndexOf('.') + 1);
  }

  private List<ColumnRef> columnRefs(AnnotationMirror annotation, String attribute, Where where) {
    List<ColumnRef> refs = new ArrayList<>();
    for (AnnotationValue v : Annotations.list(annotation, attribute)) {
      refs.add(new ColumnRef((String) v.getValue(), where.at(v)));
    }
    return refs;
  }

  TypeRef typeRef(TypeElement type) {
    List<String> simpleNames = new ArrayList<>();
    Element e = type;
    while (e instanceof TypeElement t) {
      simpleNames.add(0, t.getSimpleName().toString());
      e = t.getEnclosingElement();
    }
    return new TypeRef(
        elements.getPackageOf(type).getQualifiedName().toString(),
        simpleNames,
        elements.getBinaryName(type).toString(),
        typeAccess(type));
  }

  /** What keeps code elsewhere from naming {@code type}: a private or non-public class in its nesting. */
  private static TypeRef.Access typeAccess(TypeElement type) {
    String fromOther = null;
    String fromSame = null;
    Element e = type;
    while (e instanceof TypeElement t) {
      String what = "class " + t.getQualifiedName();
      if (t.getModifiers().contains(Modifier.PRIVATE)) {
        fromSame = fromSame == null ? what + " is private; make it package-private or public" : fromSame;
      }
      if (!t.getModifiers().contains(Modifier.PUBLIC) && fromOther == null) {
        fromOther = what + " is not public; make it public";
      }
      e = t.getEnclosingElement();
    }
    return new TypeRef.Access(fromOther, fromSame);
  }

  private static TypeRef.Access memberAccess(Element member, String what) {
    if (member.getModifiers().contains(Modifier.PRIVATE)) {
      String p = what + " is private; make it public (or package-private)";
      return new TypeRef.Access(p, p);
    }
    if (!member.getModifiers().contains(Modifier.PUBLIC)) {
      return new TypeRef.Access(what + " is not public; make it public", null);
    }
    return TypeRef.Access.OPEN;
  }

  /** The first non-static inner class in the nesting of {@code type}, or null. */
  private static String innerClass(TypeElement type) {
    Element e = type;
    while (e instanceof TypeElement t) {
      if (t.getNestingKind() == NestingKind.MEMBER
          && t.getKind() == ElementKind.CLASS
          && !t.getModifiers().contains(Modifier.STATIC)
          && t.getEnclosingElement().getKind() != ElementKind.INTERFACE) {
        return t.getQualifiedName().toString();
      }
      if (t.getNestingKind() == NestingKind.LOCAL || t.getNestingKind() == NestingKind.ANONYMOUS) {
        return t.getQualifiedName().toString();
      }
      e = t.getEnclosingElement();
    }
    return null;
  }
}
