package io.pgpubsub.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.Listener;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.spi.ChannelDefinition;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ListenerConfigTest {

  public record Ping(int n) {}

  private static ListenerConfig configOf(Listener listener) throws ReflectiveOperationException {
    Field f = Listener.class.getDeclaredField("config");
    f.setAccessible(true);
    return (ListenerConfig) f.get(listener);
  }

  private static Listener.Builder builder() {
    ChannelDefinition ch =
        new ChannelDefinition(
            "ping", Ping.class, false, true, true, null, null, Set.of(), Ping.class.getName(), null,
            List.of(new io.pgpubsub.spi.ListenerDefinition(
                "Ping#on", io.pgpubsub.spi.ListenerKind.PLAIN, ListenerConfigTest.class, true, (t, inv) -> {})));
    return Listener.builder().channelDefinitions(List.of(ch));
  }

  @Test
  void toStringMasksThePasswordAndPasswordsInTheUrls() throws Exception {
    ListenerConfig config =
        configOf(
            builder()
                .jdbcUrl("jdbc:postgresql://db:5432/app?sslmode=require&password=url-secret&sslpassword=key-secret")
                .listenUrl("jdbc:postgresql://direct:5432/app?PASSWORD=listen-secret")
                .user("app")
                .password("s3cr3t-Pa55")
                .build());
    String s = config.toString();
    assertThat(s)
        .doesNotContain("s3cr3t-Pa55")
        .doesNotContain("url-secret")
        .doesNotContain("key-secret")
        .doesNotContain("listen-secret")
        .contains("user=app")
        .contains("password=****")
        .contains("jdbc:postgresql://db:5432/app?sslmode=require&password=****&sslpassword=****")
        .contains("callbackTimeout=PT5M");
  }

  @Test
  void durationsTooLongForNanosecondsAreCappedNotOverflowed() throws Exception {
    ListenerConfig config =
        configOf(
            builder()
                .jdbcUrl("jdbc:postgresql://db/app")
                .pollInterval(Duration.ofSeconds(Long.MAX_VALUE))
                .callbackTimeout(Duration.ofSeconds(Long.MAX_VALUE))
                .gracePeriod(Duration.ofSeconds(Long.MAX_VALUE))
                .retryPolicy(RetryPolicy.noRetries())
                .build());
    assertThat(config.pollInterval().toNanos()).isEqualTo(Long.MAX_VALUE);
    assertThat(config.callbackTimeout().toNanos()).isEqualTo(Long.MAX_VALUE);
    assertThat(config.gracePeriod().toNanos()).isEqualTo(Long.MAX_VALUE);
  }
}
