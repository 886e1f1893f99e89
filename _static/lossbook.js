// lossbook's fixes to the book theme's behaviour.
//
// 1. Navigation buttons. The page holds two copies of the "site navigation"
//    (☰) and "on this page" buttons, one in the theme's top bar and one in
//    the article header, and the theme wires only the first copy of each
//    (pydata-sphinx-theme#2451, sphinx-book-theme#988). The top bar is not
//    shown, so the buttons a reader sees did nothing on a phone, and ☰ did
//    not fold the sidebar on a desktop. Each later copy now hands its click
//    to the wired one, which opens the navigation as a dialog on a narrow
//    screen and folds the sidebar on a wide one.
// 2. Scrolling boxes (wide tables and formulas) that really scroll can be
//    reached and scrolled with the keyboard.
// 3. Closing the search dialog (Escape) gives focus back to the button that
//    opened it instead of dropping it on the page body.
"use strict";

(() => {
  const ready = (fn) => {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  };

  const forwardToggles = () => {
    for (const kind of ["primary", "secondary"]) {
      const buttons = Array.from(document.querySelectorAll(`.${kind}-toggle`));
      const wired = buttons[0];
      for (const button of buttons.slice(1)) {
        button.addEventListener(
          "click",
          (event) => {
            event.preventDefault();
            event.stopImmediatePropagation();
            wired.click();
          },
          true,
        );
      }
    }
  };

  const focusableScrollBoxes = () => {
    const boxes = document.querySelectorAll(".bd-article .lb-scroll, .bd-article div.math");
    for (const box of boxes) {
      if (box.scrollWidth > box.clientWidth && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        if (box.classList.contains("lb-scroll")) {
          box.setAttribute("role", "region");
          const caption = box.querySelector("caption");
          box.setAttribute(
            "aria-label",
            caption ? caption.textContent.trim() : "Table, scrolls sideways",
          );
        }
      }
    }
  };

  const searchFocus = () => {
    const dialog = document.getElementById("pst-search-dialog");
    if (!dialog) return;
    let opener = null;
    document.addEventListener(
      "click",
      (event) => {
        const button = event.target.closest(".search-button__button, .search-button");
        if (button) opener = button;
      },
      true,
    );
    document.addEventListener(
      "keydown",
      (event) => {
        if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") {
          opener = document.activeElement;
        }
      },
      true,
    );
    dialog.addEventListener("close", () => {
      const lost = !document.activeElement || document.activeElement === document.body;
      if (lost && opener && opener.isConnected && opener.offsetParent !== null) {
        opener.focus();
      } else if (lost) {
        const main = document.getElementById("main-content");
        if (main) {
          main.setAttribute("tabindex", "-1");
          main.focus();
        }
      }
    });
  };

  ready(() => {
    forwardToggles();
    focusableScrollBoxes();
    searchFocus();
  });
  window.addEventListener("resize", focusableScrollBoxes);
})();
