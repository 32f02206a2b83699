"""SQLAlchemy models, grouped by area; importing this package registers them all."""
from app.models.users import AuthSession, LoginFailure, Role, User
from app.models.lessons import ContentRevision, Lesson, LessonProgress, Track  # noqa: F401
from app.models.rolefit import RoleFitRecord
from app.models.cases import CaseAttempt, CodingCase
from app.models.classes import Assignment, Classroom, Enrollment
from app.models.scenarios import ClaimPayer, ClaimScenario, ScenarioAttempt
from app.models.quizzes import Quiz, QuizAttempt, QuizVersion  # noqa: F401
from app.models.exams import ExamAnswer, ExamAttempt, ExamBlueprint, ExamQuestion, ReviewCard, ReviewSettings  # noqa: F401

__all__ = ["AuthSession", "LoginFailure", "Role", "User", "Lesson", "LessonProgress", "Track", "RoleFitRecord", "CaseAttempt", "CodingCase",
           "ClaimPayer", "ClaimScenario", "ScenarioAttempt", "Assignment", "Classroom", "Enrollment"]
