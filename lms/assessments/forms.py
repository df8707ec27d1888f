from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional


class BankUploadForm(FlaskForm):
    file = FileField(
        _l("Question file"),
        validators=[FileRequired(_l("Choose a GIFT or Aiken file."))],
        description=_l("GIFT (Moodle's text format) or Aiken, saved as UTF-8."),
    )
    format = SelectField(
        _l("Format"),
        choices=[SelectChoice("gift", "GIFT"), SelectChoice("aiken", "Aiken")],
        default="gift",
    )
    bank = StringField(
        _l("Bank"),
        validators=[Optional(), Length(max=200)],
        description=_l("Its name; empty takes the file's name. An existing bank is updated."),
    )
    submit = SubmitField(_l("Check the file"))
