package io.pgpubsub.samples.boot;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.web.WebChannel;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The live orders board (static/board.html): the shop_order table's changes are captured into the stream
 * {@code shop-orders}, and the channel {@code board} exposes them to browsers at {@code /pgpubsub/events} (the
 * starter mounts the endpoint because this bean exists). Browsers see only the projected columns.
 */
@Configuration(proxyBeanMethods = false)
public class LiveBoard {

  public static final String STREAM = "shop-orders";

  /** The channel browsers may subscribe to; the stream and its capture trigger come from db/migration/V2__live_board. */
  @Bean
  WebChannel<ObjectNode> boardChannel() {
    return WebChannel.rows("board")
        .stream(STREAM)
        .project(WebChannel.columns("id", "customer", "amount", "status"));
  }
}
