/** Persistence of pipeline definitions applied at runtime, so that they survive a restart. */
package io.moxie.kernel.store;
