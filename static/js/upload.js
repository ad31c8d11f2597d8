// Upload pages (images, videos, or one .zip of them): drag and drop onto the drop
// zone, list the chosen files, and show that the upload is in progress. The form
// still works without this script.
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
  const tooManyNote = document.getElementById("too-many-files");
  const maxFiles = Number(form.dataset.maxFiles) || Infinity;
  const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];
  const VIDEO_EXTENSIONS = [".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"];

  function humanSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(0) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function hasExtension(file, extensions) {
    const name = file.name.toLowerCase();
    return extensions.some((ext) => name.endsWith(ext));
  }

  function kindOf(file) {
    if (file.type.startsWith("image/") || hasExtension(file, IMAGE_EXTENSIONS)) return "image";
    if (file.type.startsWith("video/") || hasExtension(file, VIDEO_EXTENSIONS)) return "video";
    if (file.type === "application/zip" || hasExtension(file, [".zip"])) return "zip";
    return null;
  }

  function buttonText(files) {
    if (files.length <= 1) return files.length && kindOf(files[0]) === "zip" ? "Analyse the archive" : "Analyse";
    const kinds = new Set(files.map(kindOf));
    const noun = kinds.size === 1 && (kinds.has("image") || kinds.has("video")) ? [...kinds][0] + "s" : "files";
    return "Analyse " + files.length + " " + noun;
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
      if (!kindOf(file)) {
        const warning = document.createElement("span");
        warning.className = "badge text-bg-warning";
        warning.textContent = "may not be an image or video";
        item.append(warning);
      }
      list.append(item);
    }
    buttonLabel.textContent = buttonText(files);
    // Said before the upload rather than after it: a large selection takes long to send.
    const tooMany = files.length > maxFiles;
    tooManyNote.textContent = tooMany
      ? "You chose " + files.length + " files; at most " + maxFiles + " can be analysed at once. " +
        "Choose fewer and upload the rest afterwards."
      : "";
    tooManyNote.classList.toggle("d-none", !tooMany);
    button.disabled = tooMany;
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
