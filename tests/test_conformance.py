"""Jupyter's own kernel conformance suite, run against the installed `linfa` kernel.

Every sample the suite knows is set, so nothing the kernel supports is skipped. The suite runs
as its users run it: a fresh kernel, the suite's own timeouts (15 s per message), no warm-up
cell, so whichever test comes first waits for the kernel's start.
"""

from __future__ import annotations

import unittest

import jupyter_kernel_test

from conftest import KERNEL_NAME


class LinfaKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "rust"
    file_extension = ".rs"

    code_hello_world = 'println!("hello, world");'
    code_stderr = 'eprintln!("something went sideways");'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"linfa".len()', "result": "5"},
        {"code": "vec![1.5f64, 2.0]", "result": "[1.5, 2.0]"},
    ]
    code_display_data = [
        {"code": 'display_html("<b>trained</b>");', "mime": "text/html"},
        {
            "code": 'display_svg("<svg xmlns=\\"http://www.w3.org/2000/svg\\" width=\\"4\\" height=\\"4\\"/>");',
            "mime": "image/svg+xml",
        },
        {"code": 'display_markdown("**done**");', "mime": "text/markdown"},
    ]
    code_clear_output = 'println!("soon gone"); clear_output(false);'
    code_page_something = ":help"
    code_generate_error = 'let accuracy: f64 = "high";'
    complete_code_samples = ["let x = 1;", "fn double(x: u32) -> u32 { x * 2 }", ":dep rand"]
    incomplete_code_samples = ["fn double(x: u32) -> u32 {", "let v = vec![1, 2,", 'let s = "open', "let total = 1 +"]
    # The last two have balanced delimiters: only a parser tells them from complete code.
    invalid_code_samples = ["let x = (1 + 2];", "}", "let = ;", "fn 1() {}"]
    completion_samples = [
        {"text": "std::collections::Hash", "matches": {"HashMap", "HashSet"}},
        {"text": "std::f64::consts::P", "matches": {"PI"}},
        # The preloaded stack, which rust-analyzer does not see: from the kernel's index.
        {
            "text": "linfa_clustering::KMe",
            "matches": {"KMeans", "KMeansError", "KMeansInit", "KMeansParams", "KMeansParamsError", "KMeansValidParams"},
        },
        {"text": "use linfa::prelude::Fi", "matches": {"Fit", "FitWith"}},
    ]
    code_inspect_sample = "std::vec::Vec"
    code_history_pattern = "6*7"
    supported_history_operations = ("tail", "range", "search")


class LinfaIopubWelcomeTests(jupyter_kernel_test.IopubWelcomeTests):
    kernel_name = KERNEL_NAME
    support_iopub_welcome = True


if __name__ == "__main__":
    unittest.main()
