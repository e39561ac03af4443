/**
 * Building blocks shared by the encoder stages of this bundle (activations, layer norm, dense MLPs, input checks).
 * Public only so the stage packages can use them: the bundle exports nothing.
 */
package io.moxie.encoders.impl;
