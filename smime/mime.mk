# mime: file list owned by the mime work
