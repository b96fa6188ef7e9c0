package io.pgpubsub.spring.app;

import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** A user's application as the context runner boots it: every auto-configuration on the class path. */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
@AutoConfigurationPackage
public class ParcelApp {
  @Bean
  Received received() {
    return new Received();
  }
}
