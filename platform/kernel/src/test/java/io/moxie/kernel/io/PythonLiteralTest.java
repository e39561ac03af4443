package io.moxie.kernel.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PythonLiteralTest {
    @Test
    void aNumpyHeaderParsesToADictInOrder() {
        Object parsed = PythonLiteral.parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 16, 48), }   \n");
        assertEquals(List.of("descr", "fortran_order", "shape"), List.copyOf(((Map<?, ?>) parsed).keySet()));
        Map<?, ?> dict = (Map<?, ?>) parsed;
        assertEquals("<f4", dict.get("descr"));
        assertEquals(Boolean.FALSE, dict.get("fortran_order"));
        assertEquals(new PythonLiteral.Tuple(List.of(2L, 16L, 48L)), dict.get("shape"));
    }

    @Test
    void onlyACommaMakesAOneItemTuple() {
        assertEquals(new PythonLiteral.Tuple(List.of(5L)), PythonLiteral.parse("(5,)"));
        assertEquals(5L, PythonLiteral.parse("(5)"));
        assertEquals(new PythonLiteral.Tuple(List.of()), PythonLiteral.parse("()"));
        assertEquals(new PythonLiteral.Tuple(List.of(new PythonLiteral.Tuple(List.of(1L, 2L)))),
                PythonLiteral.parse("((1, 2),)"));
        assertEquals(new PythonLiteral.Tuple(List.of(1L, 2L)), PythonLiteral.parse("((1, 2))"));
    }

    @Test
    void listsStringsAndNoneParse() {
        assertEquals(List.of(List.of("x", "<f4"), Arrays.asList(null, true)),
                PythonLiteral.parse("[['x', \"<f4\"], [None, True]]"));
        assertEquals("it's", PythonLiteral.parse("'it\\'s'"));
        assertEquals("u", PythonLiteral.parse("u'u'"));
    }

    @Test
    void syntaxErrorsSayWhereTheyAre() {
        for (String bad : List.of("(".repeat(100_000), "{'a': 1", "{'a' 1}", "(1, 2", "'open", "1.5", "foo", "{} x", "", "[1 2]")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PythonLiteral.parse(bad),
                    bad);
            assertTrue(e.getMessage().contains("at offset"), e.getMessage());
        }
    }
}
