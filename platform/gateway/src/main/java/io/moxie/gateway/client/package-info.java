/** Helpers for clients of the gateway (the {@code moxie} CLI among them). */
package io.moxie.gateway.client;
