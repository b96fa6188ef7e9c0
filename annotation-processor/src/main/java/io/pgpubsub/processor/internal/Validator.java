package io.pgpubsub.processor.internal;

import io.pgpubsub.processor.internal.ChannelModel.ColumnRef;
import io.pgpubsub.processor.internal.ListenerModel.Param;
import io.pgpubsub.processor.internal.ListenerModel.ParamKind;
import io.pgpubsub.processor.internal.Plan.Arg;
import io.pgpubsub.processor.internal.Plan.ArgKind;
import io.pgpubsub.processor.internal.Plan.ChannelPlan;
import io.pgpubsub.processor.internal.Plan.ListenerPlan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Checks the scanned model as a whole and resolves it into a {@link Plan}: channel names, columns,
 * listener signatures, accessibility from the generated registry, SQL names. Reports every problem it finds
 * (it does not stop at the first one) and returns empty when there was any.
 */
public final class Validator {

  private static final Pattern CHANNEL_NAME = Pattern.compile("[A-Za-z0-9_.\\-]+");

  private final Options options;
  private final Reporter reporter;
  private boolean failed;

  public Validator(Options options, Reporter reporter) {
    this.options = options;
    this.reporter = reporter;
  }

  public Optional<Plan> validate(List<ChannelModel> scannedChannels, List<ListenerModel> scannedListeners) {
    List<ChannelModel> channels = new ArrayList<>(scannedChannels);
    channels.sort(Comparator.comparing(c -> c.type().canonicalName()));
    List<ListenerModel> listeners = new ArrayList<>(scannedListeners);
    listeners.sort(Comparator.comparing(ListenerModel::id).thenComparing(ListenerModel::kind));

    Map<String, ChannelModel> byName = new TreeMap<>();
    Map<String, ChannelModel> byType = new HashMap<>();
    for (ChannelModel c : channels) {
      byType.put(c.type().binaryName(), c);
      if (!CHANNEL_NAME.matcher(c.name()).matches()
          || SqlNames.byteLength(c.name()) > SqlNames.MAX_IDENTIFIER_BYTES) {
        error(c.nameWhere(), Message.CHANNEL_NAME_INVALID, c.name(), c.type());
        continue;
      }
      ChannelModel previous = byName.putIfAbsent(c.name(), c);
      if (previous != null) {
        error(c.nameWhere(), Message.CHANNEL_NAME_DUPLICATE, c.name(), c.type(), previous.type());
        error(previous.nameWhere(), Message.CHANNEL_NAME_DUPLICATE, c.name(), previous.type(), c.type());
      }
    }

    TypeRef registry = registry(channels, listeners);

    Map<String, List<ListenerPlan>> listenersByChannel = new HashMap<>();
    for (ListenerModel l : listeners) {
      resolve(l, byType, registry)
          .ifPresent(
              p -> listenersByChannel.computeIfAbsent(p.channel().name(), k -> new ArrayList<>()).add(p.plan()));
    }

    List<ChannelPlan> plans = new ArrayList<>();
    Map<String, ChannelModel> functionNames = new HashMap<>();
    for (ChannelModel c : byName.values()) {
      if (registry != null) {
        checkAccess(c.type(), c.type().canonicalName(), registry, c.where());
      }
      List<ListenerPlan> own = listenersByChannel.getOrDefault(c.name(), List.of());
      if (c.stream()) {
        stream(c, own);
      } else if (c.ordered() && !c.lockable()) {
        error(c.orderedWhere(), Message.ORDERED_BROADCAST, c.name(), c.type());
      }
      if (!c.stream() && c.retain() != null) {
        error(c.retainWhere(), Message.RETAIN_WITHOUT_STREAM, "retain = \"" + c.retain() + "\"", c.type(), "retain");
      }
      if (!c.stream() && c.retainCountWhere() != null) {
        error(c.retainCountWhere(), Message.RETAIN_WITHOUT_STREAM, "retainCount = " + c.retainCount(), c.type(), "retainCount");
      }
      if (!c.trigger()) {
        plans.add(
            new ChannelPlan(
                c, Set.of(), List.of(), List.of(), c.type().binaryName(), null, null, null, own, List.of(),
                List.of()));
        continue;
      }
      if (!c.stream() && !c.lockable() && !c.pgNotify()) {
        error(c.where(), Message.BROADCAST_WITHOUT_NOTIFY, c.name(), c.type());
      }
      List<String> orderKey = orderKey(c);
      Set<Op> operations = operations(c, own);
      List<Plan.TriggerColumn> used = new ArrayList<>();
      List<String> watch = columns(c, c.watchColumns(), "watchColumns", used);
      List<String> exclude = columns(c, c.excludeColumns(), "excludeColumns", used);
      if (!watch.isEmpty() && !operations.contains(Op.UPDATE)) {
        reporter.report(
            c.where(), Message.WATCH_WITHOUT_UPDATE, c.type(), c.name(), operations);
      }
      String function = SqlNames.limit("pgpubsub_notify_" + c.name());
      ChannelModel clash = functionNames.putIfAbsent(function, c);
      if (clash != null) {
        error(c.where(), Message.SQL_NAME_COLLISION, function, c.name(), clash.name());
      }
      TableModel t = c.table();
      String version =
          SqlNames.hash(
              (t.schema() == null ? "" : t.schema() + ".")
                  + t.name()
                  + ":"
                  + t.columns().stream().map(TableModel.Column::name).collect(Collectors.joining(",")));
      plans.add(
          new ChannelPlan(
              c,
              operations,
              watch,
              exclude,
              version,
              function,
              SqlNames.limit("pgpubsub_" + c.name()),
              Options.CHANNEL_SCRIPT_FOLDER + c.name() + ".sql",
              own,
              used,
              orderKey));
    }
    if (failed || registry == null) {
      return Optional.empty();
    }
    return Optional.of(new Plan(registry, options, plans));
  }

  /**
   * A stream channel: a valid retention, neither a broadcast nor ordered, and no listener method (its events
   * are read from a position by a StreamConsumer or StreamReader, not claimed).
   */
  private void stream(ChannelModel c, List<ListenerPlan> own) {
    if (c.retain() != null) {
      boolean ok;
      try {
        java.time.Duration d = java.time.Duration.parse(c.retain());
        ok = !d.isNegative() && !d.isZero();
      } catch (java.time.format.DateTimeParseException e) {
        ok = false;
      }
      if (!ok) {
        error(c.retainWhere(), Message.STREAM_RETAIN_INVALID, c.retain(), c.type());
      }
    }
    if (c.retainCount() < 0) {
      error(c.retainCountWhere(), Message.STREAM_RETAIN_COUNT_NEGATIVE, c.retainCount(), c.type());
    }
    if (!c.lockable()) {
      error(c.streamWhere(), Message.STREAM_NOT_LOCKABLE_OR_ORDERED, c.name(), c.type(), "lockable = false", "lockable = false");
    }
    if (c.ordered()) {
      error(c.orderedWhere(), Message.STREAM_NOT_LOCKABLE_OR_ORDERED, c.name(), c.type(), "ordered = true", "ordered = true");
    }
    for (ListenerPlan l : own) {
      List<String> simple = c.type().simpleNames();
      error(
          l.model().where(),
          Message.STREAM_LISTENER,
          l.model().id(),
          l.model().kind().annotationSimpleName(),
          c.name(),
          c.type(),
          simple.get(simple.size() - 1));
    }
  }

  /** The operations a trigger captures: as written, else what the listeners need, else all. */
  private Set<Op> operations(ChannelModel c, List<ListenerPlan> listeners) {
    Set<Op> ops = EnumSet.noneOf(Op.class);
    if (c.operations() != null && !c.operations().isEmpty()) {
      ops.addAll(c.operations());
      for (ListenerPlan l : listeners) {
        Kind kind = l.model().kind();
        if (kind.operations().stream().noneMatch(ops::contains)) {
          Set<Op> missing = EnumSet.copyOf(kind.operations());
          error(
              l.model().where(),
              Message.LISTENER_OPERATION_NOT_CAPTURED,
              l.model().id(),
              kind.annotationSimpleName(),
              c.name(),
              ops,
              missing,
              c.type());
        }
      }
      return ops;
    }
    listeners.forEach(l -> ops.addAll(l.model().kind().operations()));
    return ops.isEmpty() ? EnumSet.allOf(Op.class) : ops;
  }

  /**
   * The columns of an ordered trigger channel's key: the column {@code orderKey} names (matched as
   * watchColumns are), else the id columns; empty for an unordered channel.
   */
  private List<String> orderKey(ChannelModel c) {
    List<TableModel.Column> columns = c.table().columns();
    String table = SqlNames.qualified(c.table().schema(), c.table().name());
    List<String> names = columns.stream().map(TableModel.Column::name).toList();
    if (c.orderKey() != null && !c.ordered()) {
      error(c.orderKey().where(), Message.ORDER_KEY_WITHOUT_ORDERED, c.orderKey().name(), c.type());
      return List.of();
    }
    if (!c.ordered() || !c.lockable()) {
      return List.of();
    }
    if (c.orderKey() != null) {
      String written = c.orderKey().name();
      Optional<TableModel.Column> match = columns.stream().filter(col -> col.name().equals(written)).findFirst();
      if (match.isEmpty()) {
        match = columns.stream().filter(col -> col.attribute().equals(written)).findFirst();
      }
      if (match.isEmpty()) {
        List<TableModel.Column> folded =
            columns.stream().filter(col -> col.name().equalsIgnoreCase(written)).toList();
        match = folded.size() == 1 ? Optional.of(folded.get(0)) : Optional.empty();
      }
      if (match.isEmpty()) {
        error(c.orderKey().where(), Message.ORDER_KEY_UNKNOWN, written, c.type(), table, names);
        return List.of();
      }
      return List.of(match.get().name());
    }
    List<String> ids = c.table().idColumns();
    if (ids.isEmpty() || !names.containsAll(ids)) {
      error(c.orderedWhere(), Message.ORDER_KEY_NO_ID, c.name(), c.type(), ids, table);
      return List.of();
    }
    return ids;
  }

  /** Database names for the names written in watchColumns/excludeColumns, sorted. */
  private List<String> columns(
      ChannelModel c, List<ColumnRef> refs, String attribute, List<Plan.TriggerColumn> used) {
    Set<String> out = new TreeSet<>();
    List<TableModel.Column> columns = c.table().columns();
    for (ColumnRef ref : refs) {
      Optional<TableModel.Column> match =
          columns.stream().filter(col -> col.name().equals(ref.name())).findFirst();
      if (match.isEmpty()) {
        match = columns.stream().filter(col -> col.attribute().equals(ref.name())).findFirst();
      }
      if (match.isEmpty()) {
        List<TableModel.Column> folded =
            columns.stream().filter(col -> col.name().equalsIgnoreCase(ref.name())).toList();
        match = folded.size() == 1 ? Optional.of(folded.get(0)) : Optional.empty();
      }
      if (match.isPresent()) {
        if (out.add(match.get().name())) {
          used.add(new Plan.TriggerColumn(match.get().name(), ref.name(), match.get().attribute(), attribute));
        }
      } else {
        error(
            ref.where(),
            Message.UNKNOWN_COLUMN,
            "@TriggerChannel(" + attribute + ")",
            ref.name(),
            c.type(),
            SqlNames.qualified(c.table().schema(), c.table().name()),
            columns.stream().map(TableModel.Column::name).toList());
      }
    }
    return List.copyOf(out);
  }

  private record Resolved(ChannelModel channel, ListenerPlan plan) {}

  private Optional<Resolved> resolve(ListenerModel l, Map<String, ChannelModel> byType, TypeRef registry) {
    boolean ok = true;
    Where method = Where.of(l.where().element());
    if (l.returnType() != null) {
      ok = error(method, Message.LISTENER_RETURN_TYPE, l.id(), l.returnType());
    }
    if (l.badThrows() != null) {
      ok = error(method, Message.LISTENER_THROWS, l.id(), l.badThrows());
    }
    if (l.innerClass() != null) {
      ok = error(method, Message.LISTENER_NOT_STATIC_NESTED, l.id(), l.innerClass());
    }
    if (registry != null) {
      String problem =
          Optional.ofNullable(l.declaringType().access().problemFrom(registry.packageName(), l.declaringType().packageName()))
              .orElse(l.methodAccess().problemFrom(registry.packageName(), l.declaringType().packageName()));
      if (problem != null) {
        ok =
            error(
                method,
                Message.LISTENER_NOT_ACCESSIBLE,
                l.id(),
                registry.canonicalName(),
                problem + registryHint(l.declaringType(), registry));
      }
    }
    Map<String, List<Param>> candidates = new LinkedHashMap<>();
    for (Param p : l.params()) {
      if (p.kind() == ParamKind.OTHER) {
        ok = error(p.where(), Message.LISTENER_PARAMETER, p.name(), l.id(), p.display());
      } else if (p.kind() == ParamKind.CANDIDATE) {
        candidates.computeIfAbsent(p.type().binaryName(), k -> new ArrayList<>()).add(p);
      }
    }
    if (candidates.isEmpty()) {
      if (ok) {
        error(method, Message.LISTENER_NO_PAYLOAD, l.id());
      }
      return Optional.empty();
    }
    // a candidate that is no channel type is reported as such; the channel is the one candidate that is
    ChannelModel channel = null;
    for (List<Param> group : candidates.values()) {
      Param p = group.get(0);
      ChannelModel c = byType.get(p.type().binaryName());
      if (c == null) {
        if (p.channelAnnotated()) {
          ok = error(p.where(), Message.LISTENER_CHANNEL_ELSEWHERE, l.id(), p.type());
        } else if (p.jpaEntity()) {
          ok = error(p.where(), Message.LISTENER_NO_CHANNEL, l.id(), p.type(), p.type());
        } else {
          ok = error(p.where(), Message.LISTENER_PARAMETER, p.name(), l.id(), p.display());
        }
      } else if (channel != null) {
        ok = error(p.where(), Message.LISTENER_MIXED_PAYLOADS, l.id(), channel.type(), c.type());
      } else {
        channel = c;
      }
    }
    if (channel == null) {
      return Optional.empty();
    }
    List<Param> payloads = candidates.get(channel.type().binaryName());
    int max = channel.trigger() ? 2 : 1;
    if (payloads.size() > max) {
      Param extra = payloads.get(max);
      ok =
          channel.trigger()
              ? error(extra.where(), Message.LISTENER_TOO_MANY_PAYLOADS, l.id(), payloads.size(), channel.type())
              : error(extra.where(), Message.LISTENER_PARAMETER, extra.name(), l.id(), extra.display());
    }
    if (channel.trigger() && l.kind() == Kind.PLAIN) {
      ok =
          error(
              l.where(),
              Message.LISTENER_WRONG_ANNOTATION,
              l.id(),
              l.kind().annotationSimpleName(),
              "the @TriggerChannel entity",
              channel.type(),
              "@PostSaveListener, @PostInsertListener, @PostUpdateListener or @PostDeleteListener");
    } else if (!channel.trigger() && l.kind() != Kind.PLAIN) {
      ok =
          error(
              l.where(),
              Message.LISTENER_WRONG_ANNOTATION,
              l.id(),
              l.kind().annotationSimpleName(),
              "the @Channel record",
              channel.type(),
              "@ChannelListener");
    }
    if (!ok) {
      return Optional.empty();
    }
    List<Arg> args = new ArrayList<>();
    int seen = 0;
    for (Param p : l.params()) {
      switch (p.kind()) {
        case DELIVERY -> args.add(new Arg(ArgKind.DELIVERY, p.type()));
        case RESOURCE -> args.add(new Arg(ArgKind.RESOURCE, p.type()));
        default -> {
          ArgKind kind;
          if (payloads.size() == 2) {
            kind = seen++ == 0 ? ArgKind.OLD : ArgKind.NEW;
          } else {
            kind = l.kind() == Kind.POST_DELETE ? ArgKind.OLD : ArgKind.NEW;
          }
          args.add(new Arg(kind, p.type()));
        }
      }
    }
    return Optional.of(new Resolved(channel, new ListenerPlan(l, args)));
  }

  private void checkAccess(TypeRef type, String what, TypeRef registry, Where where) {
    String problem = type.access().problemFrom(registry.packageName(), type.packageName());
    if (problem != null) {
      error(where, Message.TYPE_NOT_ACCESSIBLE, what, registry.canonicalName(), problem + registryHint(type, registry));
    }
  }

  private static String registryHint(TypeRef type, TypeRef registry) {
    return type.packageName().equals(registry.packageName())
        ? ""
        : ", or generate the registry into its package with -A"
            + Options.REGISTRY
            + "="
            + (type.packageName().isEmpty() ? "" : type.packageName() + ".")
            + Options.DEFAULT_REGISTRY_SIMPLE_NAME;
  }

  /** The registry class: the option, else the common package of all channel and listener types. */
  private TypeRef registry(List<ChannelModel> channels, List<ListenerModel> listeners) {
    String name = options.registry();
    if (name == null) {
      Set<String> packages = new TreeSet<>();
      channels.forEach(c -> packages.add(c.type().packageName()));
      listeners.forEach(l -> packages.add(l.declaringType().packageName()));
      String common = null;
      for (String p : packages) {
        common = common == null ? p : commonPackage(common, p);
      }
      if (common == null || common.isEmpty()) {
        Where where =
            channels.isEmpty() ? listeners.get(0).where() : Where.of(channels.get(0).where().element());
        error(where, Message.NO_COMMON_PACKAGE, String.join(", ", packages));
        return null;
      }
      name = common + "." + Options.DEFAULT_REGISTRY_SIMPLE_NAME;
    }
    int dot = name.lastIndexOf('.');
    return new TypeRef(
        name.substring(0, dot), List.of(name.substring(dot + 1)), name, TypeRef.Access.OPEN);
  }

  private static String commonPackage(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    StringBuilder common = new StringBuilder();
    for (int i = 0; i < Math.min(x.length, y.length) && x[i].equals(y[i]); i++) {
      if (common.length() > 0) {
        common.append('.');
      }
      common.append(x[i]);
    }
    return common.toString();
  }

  /** Reports an error and returns false, so that callers can write {@code ok = error(...)}. */
  private boolean error(Where where, Message message, Object... args) {
    failed = true;
    reporter.report(where, message, args);
    return false;
  }
}
