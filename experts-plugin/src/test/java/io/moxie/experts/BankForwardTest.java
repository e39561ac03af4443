package io.moxie.experts;

import io.moxie.testkit.TestRequest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.InvalidInputException;
import io.moxie.api.Routing;
import org.junit.jupiter.api.Test;

/** The checks and the scratch scope every bank's forward shares, with the messages the banks have always given. */
class BankForwardTest {
    private static final BankForward MOE = BankForward.ofMoeLayer("layer0", 4, 3);

    @Test
    void anInputOfTheWrongTypeOrShapeIsAnInvalidInput() {
        try (NDManager manager = NDManager.newBaseManager(); TestRequest request = new TestRequest(manager)) {
            NDManager m = request.manager();
            Routing routing = routing(m, 2);
            InvalidInputException width = assertThrows(InvalidInputException.class,
                    () -> MOE.run(m.zeros(new Shape(2, 5)), routing, request, BankForwardTest::fail));
            assertEquals("MoE layer layer0: expert input must be float32 [T, 4], got float32 (2, 5)", width.getMessage());
            InvalidInputException type = assertThrows(InvalidInputException.class,
                    () -> MOE.run(m.zeros(new Shape(2, 4), DataType.FLOAT64), routing, request, BankForwardTest::fail));
            assertEquals("MoE layer layer0: expert input must be float32 [T, 4], got float64 (2, 4)", type.getMessage());
            BankForward lora = new BankForward("LoRA-MoE layer q", "input", 4, 3);
            InvalidInputException rank = assertThrows(InvalidInputException.class,
                    () -> lora.run(m.zeros(new Shape(4)), routing, request, BankForwardTest::fail));
            assertEquals("LoRA-MoE layer q: input must be float32 [T, 4], got float32 (4)", rank.getMessage());
        }
    }

    @Test
    void aRoutingOfOtherTokensOrExpertsIsTheCallersBug() {
        try (NDManager manager = NDManager.newBaseManager(); TestRequest request = new TestRequest(manager)) {
            NDManager m = request.manager();
            IllegalArgumentException tokens = assertThrows(IllegalArgumentException.class,
                    () -> MOE.run(m.zeros(new Shape(3, 4)), routing(m, 2), request, BankForwardTest::fail));
            assertEquals(IllegalArgumentException.class, tokens.getClass(), "not an invalid input: the kernel routed it");
            assertEquals("MoE layer layer0: routing of 2 tokens over 3 experts does not fit input (3, 4) and 3 experts",
                    tokens.getMessage());
            Routing overFive = new Routing(m.zeros(new Shape(2, 1), DataType.INT64), m.ones(new Shape(2, 1)), 5);
            IllegalArgumentException experts = assertThrows(IllegalArgumentException.class,
                    () -> MOE.run(m.zeros(new Shape(2, 4)), overFive, request, BankForwardTest::fail));
            assertEquals("MoE layer layer0: routing of 2 tokens over 5 experts does not fit input (2, 4) and 3 experts",
                    experts.getMessage());
        }
    }

    @Test
    void theMathsRunsInAScratchScopeAndOnlyTheResultStays() {
        try (NDManager manager = NDManager.newBaseManager(); TestRequest request = new TestRequest(manager)) {
            NDManager m = request.manager();
            NDArray x = m.ones(new Shape(2, 4));
            Routing routing = routing(m, 2);
            int before = m.getManagedArrays().size();
            NDManager[] seen = new NDManager[4];
            NDArray y = MOE.run(x, routing, request, (in, r, scratch) -> {
                seen[0] = in.getManager();
                seen[1] = r.indices().getManager();
                seen[2] = r.weights().getManager();
                seen[3] = scratch;
                return in.mul(2).sum(new int[] {1}, true).mul(r.weights()); // intermediates in scratch
            });
            for (int i = 0; i < 3; i++) {
                assertSame(seen[3], seen[i], "argument " + i + " borrowed into the scratch scope");
            }
            assertFalse(seen[3].isOpen(), "the scratch scope is closed");
            assertSame(m, y.getManager());
            assertSame(m, x.getManager(), "borrowed input returned to its manager");
            assertSame(m, routing.indices().getManager());
            assertSame(m, routing.weights().getManager());
            assertEquals(before + 1, m.getManagedArrays().size(), "only y is left in the request");
            assertEquals(8f, y.getFloat(0, 0));
        }
    }

    private static Routing routing(NDManager m, int tokens) {
        return new Routing(m.zeros(new Shape(tokens, 1), DataType.INT64), m.ones(new Shape(tokens, 1)), 3);
    }

    private static NDArray fail(NDArray x, Routing routing, NDManager scratch) {
        throw new AssertionError("the maths must not run on an input that fails the checks");
    }
}
