package io.pgpubsub.processor.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.lang.model.element.Element;

/**
 * The validated model the writers render: nothing in it needs {@code javax.lang.model} except the
 * originating elements handed to the Filer.
 *
 * @param registry the generated registry class
 * @param options the processor options
 * @param channels sorted by name
 */
public record Plan(TypeRef registry, Options options, List<ChannelPlan> channels) {

  public Plan {
    channels = List.copyOf(channels);
  }

  /**
   * @param model the scanned channel
   * @param operations the operations the trigger captures (empty for plain channels), in INSERT, UPDATE,
   *     DELETE order
   * @param watchColumns database names of the watched columns, sorted
   * @param excludeColumns database names of the excluded columns, sorted
   * @param mappingVersion the payload's {@code v}
   * @param functionName the trigger function (in the notification schema)
   * @param triggerName the trigger (on the table)
   * @param ddlResource class path of the channel's DDL script, null for plain channels
   * @param listeners sorted by id
   * @param triggerColumns every column the trigger names (watched, then excluded), with where it came from
   * @param orderKeyColumns for an ordered trigger channel, the columns whose values make the order key (one
   *     column, or the id columns); empty otherwise
   */
  public record ChannelPlan(
      ChannelModel model,
      Set<Op> operations,
      List<String> watchColumns,
      List<String> excludeColumns,
      String mappingVersion,
      String functionName,
      String triggerName,
      String ddlResource,
      List<ListenerPlan> listeners,
      List<TriggerColumn> triggerColumns,
      List<String> orderKeyColumns) {

    public ChannelPlan {
      orderKeyColumns = List.copyOf(orderKeyColumns);
      operations = Set.copyOf(operations);
      watchColumns = List.copyOf(watchColumns);
      excludeColumns = List.copyOf(excludeColumns);
      listeners = List.copyOf(listeners);
      triggerColumns = List.copyOf(triggerColumns);
    }

    public String name() {
      return model.name();
    }

    /** The channel's type and its listeners' methods: what the channel's outputs are made from. */
    public List<Element> originatingElements() {
      List<Element> out = new ArrayList<>();
      out.add(model.where().element());
      listeners.forEach(l -> out.add(l.model().where().element()));
      return out;
    }
  }

  /**
   * A column the trigger names.
   *
   * @param column the database name the DDL uses
   * @param written the name as written in the annotation
   * @param attribute the attribute path the column maps
   * @param annotationAttribute {@code watchColumns} or {@code excludeColumns}
   */
  public record TriggerColumn(String column, String written, String attribute, String annotationAttribute) {}

  /** A listener and what each of its parameters is taken from. */
  public record ListenerPlan(ListenerModel model, List<Arg> args) {

    public ListenerPlan {
      args = List.copyOf(args);
    }
  }

  /** Where one listener argument comes from. */
  public record Arg(ArgKind kind, TypeRef type) {}

  public enum ArgKind {
    OLD,
    NEW,
    DELIVERY,
    RESOURCE
  }
}
