package io.pgpubsub.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgpubsub.StreamPosition;

/**
 * One change of a channel, as authorization hooks see it: in the JVM only, never sent as it is (what a browser
 * receives is the channel's projection of it).
 *
 * @param channel the web channel's name
 * @param operation {@code insert}, {@code update} or {@code delete} for a captured table ({@code append} for an
 *     event written with {@code Streams.append})
 * @param position the event's stream position (the SSE {@code id})
 * @param id the changed row's id (the channel's id column, as text; null when the row has none)
 * @param current the row after the change, decoded as the channel decodes it (null on delete)
 * @param previous the row before the change (null on insert and append)
 * @param context the notification context of the writing transaction ({@code {}} when none was set)
 * @param <T> the channel's row type: a JSON object ({@code ObjectNode}) or an entity
 */
public record ChangeEvent<T>(
    String channel, String operation, StreamPosition position, String id, T current, T previous, JsonNode context) {}
