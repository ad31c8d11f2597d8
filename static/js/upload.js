// Image upload page: drag and drop onto the drop zone, list the chosen files,
// and show that the upload is in progress. The form still works without this script.
(function () {
  "use strict";

  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = form.querySelector('input[type="file"]');
  const dropZone = document.getElementById("drop-zone");
  const list = document.getElementById("selected-files");
  const button = document.getElementById("analyze-button");
  const buttonLabel = document.getElementById("analyze-button-label");
  const spinner = document.getElementById("upload-spinner");
  const ACCEPTED_EXTENSIONS = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];

  function humanSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(0) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function looksLikeImage(file) {
    const name = file.name.toLowerCase();
    return file.type.startsWith("image/") || ACCEPTED_EXTENSIONS.some((ext) => name.endsWith(ext));
  }

  function renderSelection() {
    const files = Array.from(input.files || []);
    list.replaceChildren();
    list.classList.toggle("d-none", files.length === 0);
    for (const file of files) {
      const item = document.createElement("li");
      item.className = "list-group-item d-flex align-items-center gap-2 px-0";
      const name = document.createElement("span");
      name.className = "text-truncate";
      name.textContent = file.name;
      const size = document.createElement("span");
      size.className = "ms-auto small text-body-secondary text-nowrap";
      size.textContent = humanSize(file.size);
      item.append(name, size);
      if (!looksLikeImage(file)) {
        const warning = document.createElement("span");
        warning.className = "badge text-bg-warning";
        warning.textContent = "may not be an image";
        item.append(warning);
      }
      list.append(item);
    }
    buttonLabel.textContent = files.length > 1 ? "Analyse " + files.length + " images" : "Analyse";
  }

  input.addEventListener("change", renderSelection);

  ["dragenter", "dragover"].forEach((type) =>
    dropZone.addEventListener(type, (event) => {
      event.preventDefault();
      dropZone.classList.add("is-dragover");
    })
  );
  ["dragleave", "dragend"].forEach((type) =>
    dropZone.addEventListener(type, () => dropZone.classList.remove("is-dragover"))
  );
  dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropZone.classList.remove("is-dragover");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      renderSelection();
    }
  });

  form.addEventListener("submit", () => {
    // With nothing chosen the server answers with the form error, so let it through.
    if (!input.files || input.files.length === 0) return;
    button.disabled = true;
    spinner.classList.remove("d-none");
    buttonLabel.textContent = "Uploading…";
  });

  renderSelection();
})();
