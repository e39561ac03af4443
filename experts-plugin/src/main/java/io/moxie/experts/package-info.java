/**
 * Built-in expert banks for {@code mlp} experts ({@code fc2(act(fc1(x)))} with biases): {@code mlp} runs them per
 * expert like the CuMo authors, {@code grouped-mlp} sorts the routed pairs by expert and runs one GEMM pair per
 * active expert. Also home of {@link io.moxie.experts.BankForward}, the checks and scratch scope around every bank's
 * maths. The factories are Declarative Services components; everything else is package-private, or public only for
 * the sibling packages. The bundle exports nothing.
 */
package io.moxie.experts;
