// A form sent back with errors comes back as a new page, scrolled to its top with the focus on
// nothing: a keyboard or screen reader user would have to hunt for what to fix. The focus goes to
// the form's error summary (an error about the whole form) or else its first invalid field, whose
// aria-describedby names its error. A field with autofocus has already been given the focus.
(function () {
  "use strict";

  if (document.activeElement && document.activeElement !== document.body) return;
  // document order: a summary sits above its form's fields
  const target = document.querySelector("form .form-error-summary, form [aria-invalid='true']");
  if (target) target.focus();
})();
